//! `whatif run ...` and `whatif generate ...`; see `whatif help`.

use std::path::PathBuf;
use std::process::ExitCode;

use whatif::cli;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => cli::run_args(&args[1..]).and_then(|a| whatif::run(&a)),
        Some("generate") => cli::pairs(&args[1..]).and_then(|pairs| {
            let get = |f: &str| pairs.iter().find(|p| p.0 == f).map(|p| p.1.clone());
            if let Some((flag, _)) = pairs.iter().find(|p| p.0 != "--out" && p.0 != "--scenario") {
                return Err(whatif::Error::flag(
                    flag,
                    "unknown flag for generate (--out, --scenario)",
                ));
            }
            let out =
                get("--out").map_or_else(|| PathBuf::from("target/whatif/traces"), PathBuf::from);
            whatif::generate(&out, get("--scenario").as_deref())
        }),
        Some("help" | "--help" | "-h") | None => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(whatif::Error::flag(
            other,
            format!("unknown command\n\n{}", cli::usage()),
        )),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("whatif: {err}");
            ExitCode::FAILURE
        }
    }
}
