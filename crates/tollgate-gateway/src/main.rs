//! `tollgate`: see `tollgate --help`.

fn main() -> std::process::ExitCode {
    tollgate_gateway::cli::main()
}
