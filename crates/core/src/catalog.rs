//! The conversion catalogue as JSON: every source→target pair with its path
//! and options. `fileconv formats --json` and the service's `GET /api/formats`
//! both print this.

use crate::{Conversion, Engine, OptionKind, OptionSpec};
use serde_json::{json, Value};

/// One option's name, type, range or choices, default and help.
pub fn option_json(o: &OptionSpec) -> Value {
    let mut v = json!({ "name": o.name, "default": o.default, "help": o.help });
    match o.kind {
        OptionKind::Integer { min, max } => {
            v["type"] = json!("integer");
            v["min"] = json!(min);
            v["max"] = json!(max);
        }
        OptionKind::Boolean => v["type"] = json!("boolean"),
        OptionKind::Choice(words) => {
            v["type"] = json!("choice");
            v["choices"] = json!(words);
        }
        OptionKind::Color => v["type"] = json!("color"),
        OptionKind::Bitrate { min, max } => {
            v["type"] = json!("bitrate");
            v["min"] = json!(min);
            v["max"] = json!(max);
        }
        OptionKind::Seconds { max } => {
            v["type"] = json!("seconds");
            v["min"] = json!(0);
            v["max"] = json!(max);
        }
        OptionKind::Text { max_len } => {
            v["type"] = json!("text");
            v["maxLength"] = json!(max_len);
        }
    }
    v
}

/// One conversion: `from`, `to`, the source's category, the path the engine
/// takes, whether a step is lossy, and the options it accepts.
pub fn conversion_json(engine: &Engine, c: &Conversion) -> Value {
    let category = engine.format(c.from).map(|f| f.category.name()).unwrap_or_default();
    json!({
        "from": c.from,
        "to": c.to,
        "category": category,
        "path": c.path.to_string(),
        "lossy": c.path.lossy_steps() > 0,
        "options": c.path.options().into_iter().map(option_json).collect::<Vec<_>>(),
    })
}

/// Every conversion the engine can make, sorted by (from, to).
pub fn conversions_json(engine: &Engine) -> Vec<Value> {
    engine.conversions().iter().map(|c| conversion_json(engine, c)).collect()
}
