fn main() -> std::process::ExitCode {
    ddb_architect::cli::main()
}
