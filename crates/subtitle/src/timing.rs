//! The `subtitle-timing` transform: every cue's times scaled from one frame
//! rate to another (`fps=23.976:25`), then moved (`shift=-1.5`).

use fileconv_core::{Context, Error, OptionKind, OptionSpec, Result, Transform, Value, ValueKind};

const SHIFT: OptionSpec = OptionSpec {
    name: "shift",
    kind: OptionKind::Text { max_len: 16 },
    default: "",
    help: "seconds added to every cue's times, negative for earlier: 2.5, -1.5, -0:01:30",
};
const FPS: OptionSpec = OptionSpec {
    name: "fps",
    kind: OptionKind::Text { max_len: 32 },
    default: "",
    help: "frame-rate change FROM:TO, as when a film's 23.976 frames per second are played at 25: 23.976:25",
};
const TIMING_OPTIONS: &[OptionSpec] = &[SHIFT, FPS];

inventory::submit! { Transform { name: "subtitle-timing", kind: ValueKind::Subtitles, options: TIMING_OPTIONS, apply } }

fn invalid(spec: &OptionSpec, value: &str, valid: &str) -> Error {
    Error::InvalidOption { name: spec.name.to_string(), reason: format!("'{value}' is not valid"), valid: valid.to_string() }
}

/// `shift` in milliseconds.
fn shift_ms(text: &str) -> Result<i64> {
    let (sign, magnitude) = match text.trim().strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.trim().trim_start_matches('+')),
    };
    let ms = fileconv_core::subtitles::parse_clock(magnitude).filter(|ms| *ms <= 100 * 3_600_000);
    ms.map(|ms| sign * ms as i64).ok_or_else(|| invalid(&SHIFT, text, "seconds from -360000 to 360000: 2.5, -1.5 or -0:01:30"))
}

/// `fps` as the factor times are multiplied by (FROM / TO).
fn fps_factor(text: &str) -> Result<f64> {
    let rate = |r: &str| r.trim().parse::<f64>().ok().filter(|r| r.is_finite() && (1.0..=1000.0).contains(r));
    text.split_once(':')
        .and_then(|(from, to)| Some(rate(from)? / rate(to)?))
        .ok_or_else(|| invalid(&FPS, text, "two frame rates from 1 to 1000, FROM:TO, like 23.976:25"))
}

/// # Errors
/// [`Error::InvalidOption`] for a shift or frame rates out of range.
fn apply(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut subtitles = value.into_subtitles()?;
    let shift = SHIFT.text(ctx.options)?.map(shift_ms).transpose()?.unwrap_or(0);
    let factor = FPS.text(ctx.options)?.map(fps_factor).transpose()?.unwrap_or(1.0);
    let moved = |ms: u64| (ms as f64 * factor).round() as i64 + shift;
    let before = subtitles.cues.len();
    subtitles.cues.retain_mut(|cue| {
        let (start, end) = (moved(cue.start_ms), moved(cue.end_ms));
        (cue.start_ms, cue.end_ms) = (start.max(0) as u64, end.max(0) as u64);
        end > 0
    });
    let dropped = before - subtitles.cues.len();
    if dropped > 0 {
        ctx.note(format!("{dropped} cues ended before 0:00 once shifted; they were left out"));
    }
    if subtitles.cues.is_empty() {
        return Err(Error::InvalidOption { name: SHIFT.name.into(), reason: "it moves every cue before the start".into(), valid: "a shift that keeps some cue after 0:00".into() });
    }
    Ok(Value::Subtitles(subtitles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_rates_parse() {
        assert_eq!(shift_ms("-1.5").unwrap(), -1500);
        assert_eq!(shift_ms("+0:01:30").unwrap(), 90_000);
        assert_eq!(shift_ms("2").unwrap(), 2000);
        assert!(shift_ms("abc").is_err() && shift_ms("999999999").is_err());
        assert!((fps_factor("23.976:25").unwrap() - 0.95904).abs() < 1e-9);
        assert!(fps_factor("0:25").is_err() && fps_factor("25").is_err());
    }
}
