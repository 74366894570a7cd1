//! `cargo run -p fileconv-embed-example -- in.png out.jpg`: the library call, nothing else.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return Err("usage: fileconv-embed-example IN.png OUT.jpg".into());
    };
    let png = std::fs::read(input)?;
    let jpg = fileconv::convert(&png, "png", "jpg")?;
    std::fs::write(output, jpg)?;
    Ok(())
}
