//! `sifter oci …` arguments: the 14 subcommands of spec oci-reference.md §2.3 plus the hidden
//! `log-relay`. The first doc line of each variant is the reference's short help text.

use clap::{Args, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one used (clap `defer`):
// building the whole tree was a third of the CPU a short command like `oci start` spent.
#[command(defer = true)]
pub enum OciCommand {
    /// Mount create an OCI bundle from SIF image (root user only)
    #[command(override_usage = "sifter oci mount [--fuse] <sif_image> <bundle_path>")]
    Mount(MountArgs),
    /// Umount delete bundle (root user only)
    #[command(override_usage = "sifter oci umount [--force] <bundle_path>")]
    Umount(UmountArgs),
    /// Create a container from a bundle directory (root user only)
    #[command(
        override_usage = "sifter oci create -b <bundle_path> [create options...] <container_ID>"
    )]
    Create(CreateArgs),
    /// Start container process (root user only)
    #[command(override_usage = "sifter oci start <container_ID>")]
    Start(IdArgs),
    /// Query state of a container (root user only)
    #[command(override_usage = "sifter oci state <container_ID>")]
    State(IdArgs),
    /// Attach console to a running container process (root user only)
    #[command(override_usage = "sifter oci attach <container_ID>")]
    Attach(IdArgs),
    /// Kill a container (root user only)
    #[command(override_usage = "sifter oci kill [kill options...] <container_ID> [signal]")]
    Kill(KillArgs),
    /// Delete container (root user only)
    #[command(override_usage = "sifter oci delete [-f] <container_ID>")]
    Delete(DeleteArgs),
    /// Create/start/attach/delete a container from a bundle directory (root user only)
    #[command(override_usage = "sifter oci run -b <bundle_path> [run options...] <container_ID>")]
    Run(CreateArgs),
    /// Execute a command within container (root user only)
    #[command(
        override_usage = "sifter oci exec [exec options...] <container_ID> <command> [args...]"
    )]
    Exec(ExecArgs),
    /// Suspends all processes inside the container (root user only)
    #[command(override_usage = "sifter oci pause <container_ID>")]
    Pause(IdArgs),
    /// Resumes all processes previously paused inside the container (root user only)
    #[command(override_usage = "sifter oci resume <container_ID>")]
    Resume(IdArgs),
    /// Update container cgroups resources (root user only)
    #[command(override_usage = "sifter oci update --from-file <path>|- <container_ID>")]
    Update(UpdateArgs),
    /// List containers (root user only)
    #[command(override_usage = "sifter oci list [--format table|json] [container_ID...]")]
    List(ListArgs),
    /// Follow conmon's raw log and write the --log-format log (internal)
    #[command(name = "log-relay", hide = true)]
    LogRelay(IdArgs),
}

impl OciCommand {
    /// The subcommand's name, as used in messages (`"sifter oci <sub>" command requires …`).
    pub fn name(&self) -> &'static str {
        match self {
            OciCommand::Mount(_) => "mount",
            OciCommand::Umount(_) => "umount",
            OciCommand::Create(_) => "create",
            OciCommand::Start(_) => "start",
            OciCommand::State(_) => "state",
            OciCommand::Attach(_) => "attach",
            OciCommand::Kill(_) => "kill",
            OciCommand::Delete(_) => "delete",
            OciCommand::Run(_) => "run",
            OciCommand::Exec(_) => "exec",
            OciCommand::Pause(_) => "pause",
            OciCommand::Resume(_) => "resume",
            OciCommand::Update(_) => "update",
            OciCommand::List(_) => "list",
            OciCommand::LogRelay(_) => "log-relay",
        }
    }
}

#[derive(Debug, Args)]
pub struct MountArgs {
    /// Mount the squashfs with squashfuse instead of a loop device and the kernel's squashfs
    #[arg(long)]
    pub fuse: bool,
    /// The SIF image
    #[arg(value_name = "sif_image")]
    pub image: PathBuf,
    /// The bundle directory to create
    #[arg(value_name = "bundle_path")]
    pub bundle: PathBuf,
}

#[derive(Debug, Args)]
pub struct UmountArgs {
    /// Delete the bundle's container first
    #[arg(long)]
    pub force: bool,
    /// The bundle directory
    #[arg(value_name = "bundle_path")]
    pub bundle: PathBuf,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Basic,
    #[default]
    Kubernetes,
    Json,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Path to the OCI bundle directory
    #[arg(short = 'b', long, value_name = "bundle_path", required = true)]
    pub bundle: PathBuf,
    /// Path of the container log file
    #[arg(short = 'l', long, value_name = "PATH")]
    pub log_path: Option<PathBuf>,
    /// Log format
    #[arg(long, value_enum, default_value_t = LogFormat::Kubernetes)]
    pub log_format: LogFormat,
    /// Write the container's PID to this file
    #[arg(long, value_name = "PATH")]
    pub pid_file: Option<PathBuf>,
    /// CDI device to add, as vendor/class=name (repeatable)
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send (name or number)
    #[arg(short = 's', long, value_name = "SIG", default_value = "SIGTERM")]
    pub signal: String,
    /// Kill with SIGKILL
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait before escalating to SIGKILL
    #[arg(short = 't', long, value_name = "N", default_value_t = 0)]
    pub timeout: u32,
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
    /// Signal to send; takes precedence over --signal
    #[arg(value_name = "signal")]
    pub positional_signal: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Kill the container first if it is running
    #[arg(short = 'f', long)]
    pub force: bool,
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Allocate a pseudo-terminal
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set an environment variable, KEY=VALUE (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory (absolute)
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
    /// The command and its arguments
    #[arg(
        value_name = "command",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// File with the runtime-spec LinuxResources JSON, or - for stdin
    #[arg(short = 'f', long, value_name = "path|-")]
    pub from_file: Option<PathBuf>,
    /// The container ID
    #[arg(value_name = "container_ID")]
    pub id: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Only these containers
    #[arg(value_name = "container_ID")]
    pub ids: Vec<String>,
}
