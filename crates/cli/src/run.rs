//! `fileconv convert`: one file, or a batch on several threads.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use fileconv_core::{Control, Engine, Options, Report, Source};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::{self, Failure};
use crate::{handover, Reach};

#[derive(clap::Args)]
pub struct ConvertArgs {
    /// INPUT OUTPUT, or FILES... with --to.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Source format (default: the input's extension, else detected from its content).
    #[arg(long)]
    from: Option<String>,
    /// Target format (default: the output's extension).
    #[arg(long)]
    to: Option<String>,
    /// Conversion option, repeatable: -o quality=80 -o width=640.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Batch mode: where the outputs go (default: next to each input).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Batch mode: conversions run at once (default: number of cores).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// Print the conversion path used.
    #[arg(short, long)]
    verbose: bool,
    /// Convert on a fileconv service (or any service of its API) at this
    /// URL instead of here, through its four steps: upload, job, polls,
    /// download.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// The service's API key (`coco_...`); without one, its free tier.
    #[arg(long, value_name = "KEY", env = "FILECONV_API_KEY", hide_env_values = true, requires = "server")]
    key: Option<String>,
}

pub fn convert(engine: &Engine, args: ConvertArgs, reach: Reach) -> Result<(), Failure> {
    let options = args
        .options
        .iter()
        .map(|pair| Options::parse_pair(pair))
        .collect::<fileconv_core::Result<Options>>()?;
    if let Some(server) = &args.server {
        return convert_remotely(engine, server, &args, &options);
    }
    if args.paths.len() == 2 && args.out_dir.is_none() {
        return convert_one(engine, &args.paths[0], &args.paths[1], &args, &options, reach);
    }
    convert_batch(engine, &args.paths, batch_target(&args)?, &args, &options, reach)
}

/// `--server`: each input converted by the service, one after another.
fn convert_remotely(engine: &Engine, server: &str, args: &ConvertArgs, options: &Options) -> Result<(), Failure> {
    let remote = crate::remote::Remote::new(server, args.key.clone())?;
    let options: Vec<(String, String)> = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let pairs: Vec<(PathBuf, PathBuf, String)> = if args.paths.len() == 2 && args.out_dir.is_none() {
        let output = &args.paths[1];
        vec![(args.paths[0].clone(), output.clone(), single_target(output, args)?)]
    } else {
        let to = batch_target(args)?;
        args.paths.iter().map(|input| (input.clone(), batch_output(input, args, to), to.to_string())).collect()
    };
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)?;
    }
    for (input, output, to) in &pairs {
        if is_stdio(input) {
            return Err(Failure::usage("--server reads files, not standard input"));
        }
        let from = source_format(engine, input, None, args.from.as_deref())?;
        remote.convert(input, output, &from.id, to, &options).map_err(|e| if pairs.len() > 1 { Failure { message: format!("{}: {}", input.display(), e.message), ..e } } else { e })?;
        if args.verbose {
            eprintln!("{} -> {} on {server}", input.display(), output.display());
        }
    }
    Ok(())
}

/// Whether the quick program converts every input itself (see
/// [`crate::handover`]). Arguments that are wrong (a missing target) count
/// as doable: the error is the same in both programs.
pub(crate) fn can_do_here(engine: &Engine, args: &ConvertArgs) -> bool {
    let single = args.paths.len() == 2 && args.out_dir.is_none();
    let to = match if single { single_target(&args.paths[1], args) } else { batch_target(args).map(str::to_string) } {
        Ok(to) => to,
        Err(_) => return true,
    };
    let inputs = if single { &args.paths[..1] } else { &args.paths[..] };
    inputs.iter().all(|input| {
        if is_stdio(input) {
            // Standard input cannot be read twice: only a stated format is taken here.
            return args.server.is_none() && args.from.as_deref().is_some_and(|from| engine.path(from, &to).is_ok());
        }
        let Ok(source) = source_format(engine, input, None, args.from.as_deref()) else { return false };
        if args.server.is_some() {
            return true;
        }
        engine.format(&source.id).is_ok_and(|format| engine.path(format.id, &to).is_ok() && crate::handover::sure_of(engine, input, Some(format)))
    })
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Where the source format came from: only a file's name may be wrong.
struct SourceFormat {
    id: String,
    from_name: bool,
}

/// `--from`, else the extension when it names a format, else the detected format.
fn source_format(engine: &Engine, input: &Path, bytes: Option<&[u8]>, from: Option<&str>) -> Result<SourceFormat, Failure> {
    if let Some(from) = from {
        return Ok(SourceFormat { id: from.to_string(), from_name: false });
    }
    if let Some(ext) = extension(input).filter(|e| engine.format(e).is_ok()) {
        return Ok(SourceFormat { id: ext, from_name: true });
    }
    let detected = match bytes {
        Some(bytes) => engine.detect(bytes),
        None => {
            let mut head = Vec::new();
            std::fs::File::open(input)?.take(4096).read_to_end(&mut head)?;
            engine.detect(&head)
        }
    };
    detected
        .map(|f| SourceFormat { id: f.id.to_string(), from_name: false })
        .ok_or_else(|| Failure::usage(format!("{}: cannot tell the source format; give --from", input.display())))
}

/// Runs `convert` as the source format; when that came from the file's name
/// and the engine finds the content is another format that converts to
/// `to`, runs it again as what it is and says so through `tell`. (The
/// engine checks the claim before it reads or writes anything else.)
fn as_named<T>(
    engine: &Engine,
    input: &Path,
    source: &SourceFormat,
    to: &str,
    tell: &dyn Fn(String),
    mut convert: impl FnMut(&str) -> fileconv_core::Result<T>,
) -> Result<T, Failure> {
    match convert(&source.id) {
        Err(fileconv_core::Error::FormatMismatch { detected, .. }) if source.from_name && engine.path(&detected, to).is_ok() => {
            tell(format!(
                "fileconv: note: {} holds {detected}, not {} as its name says; converting it as {detected}",
                input.display(),
                source.id
            ));
            Ok(convert(&detected)?)
        }
        result => Ok(result?),
    }
}

/// The target of `INPUT OUTPUT`: `--to`, else the output's extension.
fn single_target(output: &Path, args: &ConvertArgs) -> Result<String, Failure> {
    match (&args.to, extension(output)) {
        (Some(to), _) => Ok(to.clone()),
        (None, Some(ext)) if !is_stdio(output) => Ok(ext),
        _ => Err(Failure::usage(format!("{}: give --to FORMAT", output.display()))),
    }
}

/// The target of a batch: `--to`, which it needs.
fn batch_target(args: &ConvertArgs) -> Result<&str, Failure> {
    args.to.as_deref().ok_or_else(|| Failure::usage("several inputs need --to FORMAT (or give exactly INPUT OUTPUT)"))
}

/// Where a batch writes `input` as `extension`: `--out-dir`, else beside it.
fn batch_output(input: &Path, args: &ConvertArgs, extension: &str) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = args.out_dir.clone().unwrap_or_else(|| input.parent().map(Path::to_path_buf).unwrap_or_default());
    dir.join(format!("{stem}.{extension}"))
}

fn convert_one(engine: &Engine, input: &Path, output: &Path, args: &ConvertArgs, options: &Options, reach: Reach) -> Result<(), Failure> {
    let to = single_target(output, args)?;
    let mut stdin = None;
    let report = match convert_here(engine, input, output, &to, args, options, &mut stdin) {
        Err(refused) if reach == Reach::Quick && refused.code == exit::INVALID_INPUT => {
            for line in handover::second_opinion(&retry_arguments(args, input, output), stdin.as_deref())? {
                eprintln!("{line}");
            }
            return Ok(());
        }
        report => report?,
    };
    for note in &report.notes {
        eprintln!("fileconv: warning: {note}");
    }
    if args.verbose {
        eprintln!("{} ({} bytes)", report.path, report.bytes_written);
    }
    Ok(())
}

/// One conversion in this program; standard input's content, when read, is
/// left in `stdin` for a second opinion.
fn convert_here(engine: &Engine, input: &Path, output: &Path, to: &str, args: &ConvertArgs, options: &Options, stdin: &mut Option<Vec<u8>>) -> Result<Report, Failure> {
    let control = Control::default();
    let tell = |line: String| eprintln!("{line}");
    if is_stdio(input) || is_stdio(output) {
        let from = if is_stdio(input) {
            let bytes = stdin.insert(Vec::new());
            std::io::stdin().lock().take(engine.limits().max_input_bytes + 1).read_to_end(bytes)?;
            source_format(engine, input, Some(bytes), args.from.as_deref())?
        } else {
            source_format(engine, input, None, args.from.as_deref())?
        };
        // Buffered whole, so that a failed conversion writes nothing.
        let mut out = Vec::new();
        let report = as_named(engine, input, &from, to, &tell, |from| {
            let source = match stdin {
                Some(bytes) => Source::Bytes(bytes),
                None => Source::Path(input),
            };
            engine.convert_stream(source, from, to, &mut out, options, &control)
        })?;
        if is_stdio(output) {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out)?;
            stdout.flush()?;
        } else {
            std::fs::write(output, out)?;
        }
        Ok(report)
    } else {
        let from = source_format(engine, input, None, args.from.as_deref())?;
        as_named(engine, input, &from, to, &tell, |from| engine.convert_file(input, output, from, to, options, &control))
    }
}

/// `convert`'s arguments for `input` to `output` alone, as the user gave them.
fn retry_arguments(args: &ConvertArgs, input: &Path, output: &Path) -> Vec<OsString> {
    let mut list: Vec<OsString> = Vec::new();
    for (flag, value) in [("--from", &args.from), ("--to", &args.to)] {
        if let Some(value) = value {
            list.extend([flag.into(), value.into()]);
        }
    }
    for option in &args.options {
        list.extend(["-o".into(), option.into()]);
    }
    if args.verbose {
        list.push("--verbose".into());
    }
    list.extend(["--".into(), input.into(), output.into()]);
    list
}

/// A line on stderr that does not break the progress bar.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn convert_batch(engine: &Engine, inputs: &[PathBuf], to: &str, args: &ConvertArgs, options: &Options, reach: Reach) -> Result<(), Failure> {
    let target = engine.format(to)?;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)?;
    }
    let outputs: Vec<PathBuf> = inputs.iter().map(|input| batch_output(input, args, target.id)).collect();
    for (i, output) in outputs.iter().enumerate() {
        if let Some(j) = outputs[..i].iter().position(|o| o == output) {
            return Err(Failure::usage(format!(
                "{} and {} would both be written to {}",
                inputs[j].display(),
                inputs[i].display(),
                output.display()
            )));
        }
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, inputs.len().max(1));
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(inputs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {wide_msg}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(PathBuf, Failure)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(input), Some(output)) = (inputs.get(i), outputs.get(i)) else { break };
                bar.set_message(input.display().to_string());
                let tell = |line: String| say(&bar, line);
                let result = source_format(engine, input, None, args.from.as_deref()).and_then(|from| {
                    as_named(engine, input, &from, target.id, &tell, |from| {
                        engine.convert_file(input, output, from, target.id, options, &Control::default())
                    })
                });
                let result = match result {
                    Err(refused) if reach == Reach::Quick && refused.code == exit::INVALID_INPUT => {
                        handover::second_opinion(&retry_arguments(args, input, output), None).map(|lines| {
                            for line in lines {
                                say(&bar, line.replacen("fileconv: warning: ", &format!("fileconv: warning: {}: ", input.display()), 1));
                            }
                        })
                    }
                    Err(failure) => Err(failure),
                    Ok(report) => {
                        for note in &report.notes {
                            say(&bar, format!("fileconv: warning: {}: {note}", input.display()));
                        }
                        if args.verbose {
                            say(&bar, format!("{} -> {}: {}", input.display(), output.display(), report.path));
                        }
                        Ok(())
                    }
                };
                match result {
                    Ok(()) => {}
                    Err(failure) => {
                        say(&bar, format!("fileconv: {}: {}", input.display(), failure.message));
                        failures.lock().expect("no panics while held").push((input.clone(), failure));
                    }
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let failures = failures.into_inner().expect("threads joined");
    match failures.into_iter().next() {
        None => Ok(()),
        Some((_, first)) if inputs.len() == 1 => Err(first),
        Some((_, first)) => Err(Failure { message: format!("some of {} conversions failed", inputs.len()), code: first.code }),
    }
}
