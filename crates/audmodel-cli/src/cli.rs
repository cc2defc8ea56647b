//! The command tree (clap types); the work is in `commands`.

use std::path::PathBuf;

use audmodel::NaiveDate;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

/// The end of `--help`: the exit statuses, then what an ID is.
fn after_help() -> String {
    format!(
        "{}\n\
         ID is a UID (d4e9c65b-1.0.0), a short ID (d4e9c65b, the latest version),\n\
         a legacy UID, or an alias. --json may stand anywhere on the line.",
        crate::exit::help()
    )
}

/// Publish, load and look up models in audmodel repositories.
///
/// Repositories and the cache come from `~/.config/audmodel.yaml` and
/// `AUDMODEL_CACHE_ROOT`, shared with the Python package `audmodel`.
#[derive(Debug, Parser)]
#[command(name = "audmodel", version, after_help = after_help(), max_term_width = 100)]
pub(crate) struct Cli {
    /// Print every answer as JSON.
    #[arg(long, global = true, help_heading = "Global options")]
    pub(crate) json: bool,
    /// No progress bars or notes on standard error (errors are still printed).
    #[arg(
        long,
        short,
        global = true,
        help_heading = "Global options",
        conflicts_with = "verbose"
    )]
    pub(crate) quiet: bool,
    /// Notes on standard error: the configuration in use and where it came
    /// from, and each retry and resumed download of a transfer, numbered.
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub(crate) verbose: bool,
    /// Seconds to wait for a lock of the cache before giving up, fractions
    /// allowed (`0.5`; default 4 h).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "SECONDS",
        value_parser = parse_seconds
    )]
    pub(crate) lock_timeout: Option<std::time::Duration>,
    /// Answer from the cache alone, asking no repository: load, header,
    /// meta, versions and latest-version (of the cached versions), alias
    /// resolve (of an alias resolved online before). Also AUDMODEL_OFFLINE=1.
    #[arg(long, global = true, help_heading = "Global options")]
    pub(crate) offline: bool,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Zip a model folder and publish it; prints the UID.
    #[command(
        after_help = "Example:\n  audmodel publish ./model --name torch --subgroup audmodel.dummy.cnn \\\n    --params '{model: cnn10, sampling_rate: 16000}' --version 1.0.0 --alias my-cnn"
    )]
    Publish(PublishArgs),
    /// Load a model into the cache; prints its folder there.
    #[command(after_help = "Example:\n  audmodel load d4e9c65b-1.0.0")]
    Load(IdArg),
    /// Print the header of a model (YAML, JSON with --json).
    #[command(after_help = "Example:\n  audmodel header d4e9c65b-1.0.0 --json")]
    Header(IdArg),
    /// Print the metadata of a model (YAML, JSON with --json; `{}` when none).
    #[command(after_help = "Example:\n  audmodel meta d4e9c65b-1.0.0")]
    Meta(IdArg),
    /// Merge into (or replace) the metadata of a model; prints the new metadata.
    #[command(
        name = "update-meta",
        after_help = "Example:\n  audmodel update-meta d4e9c65b-1.0.0 --meta '{accuracy: 0.93}'"
    )]
    UpdateMeta(UpdateMetaArgs),
    /// Print every version of a model, ascending over all repositories.
    #[command(after_help = "Example:\n  audmodel versions d4e9c65b")]
    Versions(IdArg),
    /// Print the highest version of a model.
    #[command(
        name = "latest-version",
        after_help = "Example:\n  audmodel latest-version d4e9c65b"
    )]
    LatestVersion(IdArg),
    /// Print `true` (exit status 0) or `false` (exit status 1).
    #[command(after_help = "Example:\n  audmodel exists d4e9c65b-1.0.0 && echo published")]
    Exists(IdArg),
    /// Print where a file of the model lies in its repository.
    #[command(after_help = "Example:\n  audmodel url d4e9c65b-1.0.0 --type header")]
    Url(UrlArgs),
    /// Print the model ID that `publish` would give (no repository needed).
    #[command(
        after_help = "Example:\n  audmodel uid --name torch --subgroup audmodel.dummy.cnn --params-file params.yaml --version 3.0.0"
    )]
    Uid(UidArgs),
    /// Set or resolve an alias.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Print the aliases of a model, one a line.
    #[command(after_help = "Example:\n  audmodel aliases d4e9c65b-1.0.0")]
    Aliases(IdArg),
    /// Print the name of the repository that holds a model.
    #[command(after_help = "Example:\n  audmodel repository d4e9c65b-1.0.0")]
    Repository(IdArg),
    /// Print the author of a model.
    #[command(after_help = "Example:\n  audmodel author d4e9c65b-1.0.0")]
    Author(IdArg),
    /// Print the publication date of a model (YYYY-MM-DD).
    #[command(after_help = "Example:\n  audmodel date d4e9c65b-1.0.0")]
    Date(IdArg),
    /// Print the name of a model.
    #[command(after_help = "Example:\n  audmodel name d4e9c65b-1.0.0")]
    Name(IdArg),
    /// Print the parameters of a model (YAML, JSON with --json).
    #[command(after_help = "Example:\n  audmodel parameters d4e9c65b-1.0.0 --json")]
    Parameters(IdArg),
    /// Print the subgroup of a model (empty when none).
    #[command(after_help = "Example:\n  audmodel subgroup d4e9c65b-1.0.0")]
    Subgroup(IdArg),
    /// Print the version of a model.
    #[command(after_help = "Example:\n  audmodel version d4e9c65b")]
    Version(IdArg),
    /// List the published models of every configured repository.
    #[command(
        after_help = "Example:\n  audmodel ls --subgroup audmodel.dummy --param sampling_rate=16000"
    )]
    Ls(LsArgs),
    /// Compare models side by side: header fields, parameters and metadata
    /// flattened to dotted keys (the keys that differ; all with --all).
    #[command(after_help = "Example:\n  audmodel diff d4e9c65b-1.0.0 d4e9c65b-2.0.0")]
    Diff(DiffArgs),
    /// Print the files of a model's archive with their sizes, read from its
    /// table of contents in the repository (no download).
    #[command(after_help = "Example:\n  audmodel files d4e9c65b-1.0.0")]
    Files(IdArg),
    /// Serve a read-only web page to browse, search and compare the models
    /// of every configured repository (and the same as JSON under /api/);
    /// Ctrl+C stops it.
    #[cfg(feature = "web")]
    #[command(
        after_help = "Examples:\n  audmodel serve --open\n  audmodel serve --bind 0.0.0.0:8080 --token-file ~/.config/audmodel-token"
    )]
    Serve(ServeArgs),
    /// Check published models in their repository: the archive's MD5
    /// against its checksum, its zip structure and every entry's CRC, and
    /// that header, metadata and alias files parse. Exit status 8 when any
    /// is damaged.
    #[command(
        after_help = "Examples:\n  audmodel verify d4e9c65b-1.0.0\n  audmodel verify --all --repository models"
    )]
    Verify(VerifyArgs),
    /// Look after the cache: list, verify, remove and prune cached models.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Remove what killed or interrupted publishers left in the
    /// repositories: hidden temporary archives, staged and unfinished
    /// uploads, the files, claims and locks of model versions never
    /// registered, alias files naming no model, empty folders. One line
    /// each: repository, path, age, size. What changed within --older-than,
    /// or what a publisher holds the lock of, stays.
    #[command(
        after_help = "Examples:\n  audmodel gc --dry-run\n  audmodel gc --repository models --older-than 1d"
    )]
    Gc(GcArgs),
    /// Print the cache root and repositories in use and where each came
    /// from, and the write protocol each repository gets from what its
    /// store can do (asking S3 stores with `conditional_writes: auto`).
    #[command(after_help = "Example:\n  audmodel config --json")]
    Config,
    /// Print a shell completion script of the commands and flags. To
    /// complete model IDs and aliases too (from the cache and the
    /// repositories), let the shell ask audmodel itself instead: in
    /// ~/.bashrc `source <(COMPLETE=bash audmodel)`, in ~/.zshrc `source
    /// <(COMPLETE=zsh audmodel)`, for fish `COMPLETE=fish audmodel | source`.
    #[command(
        after_help = "Example:\n  audmodel completions bash > ~/.local/share/bash-completion/completions/audmodel"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// A model ID in any form.
#[derive(Debug, Args)]
pub(crate) struct IdArg {
    /// UID, short ID, legacy UID or alias.
    #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
    pub(crate) id: String,
}

/// Parameters inline or from a file (not both).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("params_source").args(["params", "params_file"])))]
pub(crate) struct ParamsArgs {
    /// The parameters as inline YAML, e.g. '{model: cnn10, sampling_rate: 16000}'.
    #[arg(long, value_name = "YAML")]
    pub(crate) params: Option<String>,
    /// A YAML file with the parameters (a mapping).
    #[arg(long, value_name = "FILE")]
    pub(crate) params_file: Option<PathBuf>,
}

/// Metadata inline or from a file (not both).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("meta_source").args(["meta", "meta_file"])))]
pub(crate) struct MetaArgs {
    /// The metadata as inline YAML, e.g. '{accuracy: 0.93}'.
    #[arg(long, value_name = "YAML")]
    pub(crate) meta: Option<String>,
    /// A YAML file with the metadata (a mapping).
    #[arg(long, value_name = "FILE")]
    pub(crate) meta_file: Option<PathBuf>,
}

/// `publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The folder with the model files.
    pub(crate) root: PathBuf,
    /// The model name.
    #[arg(long)]
    pub(crate) name: String,
    /// The version, e.g. 1.0.0.
    #[arg(long)]
    pub(crate) version: String,
    /// The subgroup, e.g. audmodel.dummy.cnn.
    #[arg(long)]
    pub(crate) subgroup: Option<String>,
    /// The parameters.
    #[command(flatten)]
    pub(crate) params: ParamsArgs,
    /// The metadata.
    #[command(flatten)]
    pub(crate) meta: MetaArgs,
    /// An alias that names the model from now on.
    #[arg(long)]
    pub(crate) alias: Option<String>,
    /// The author (default: the user name).
    #[arg(long)]
    pub(crate) author: Option<String>,
    /// The publication date, YYYY-MM-DD (default: today).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    pub(crate) date: Option<NaiveDate>,
    /// The repository to publish to (default: the first configured).
    #[arg(long, value_name = "NAME")]
    pub(crate) repository: Option<String>,
    /// The zip compression level, 0 (store) to 9. At levels 1-9 a file
    /// whose first 64 KiB deflate by less than --min-saving percent is
    /// stored, not deflated: trained float weights shrink by only about 7 %,
    /// so by default they are stored and the archive is about 7 % larger
    /// than with deflate (--min-saving 0 deflates every file).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub(crate) compression: u32,
    /// At levels 1-9, store a file instead of deflating it when its first
    /// 64 KiB deflate by less than this many percent; 0 deflates every
    /// file, as the reference.
    #[arg(long, default_value_t = 10, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) min_saving: u8,
    /// Accepted for the reference's tmp_root and unused: the archive is
    /// packed straight into the repository, with no temporary archive.
    #[arg(long, value_name = "DIR")]
    pub(crate) tmp_root: Option<std::path::PathBuf>,
    /// On S3 stores that decide races: take over a claim on this model
    /// version older than this whose publisher never registered it (it was
    /// killed) (s, m, h, d, w; default 1h).
    #[arg(long, value_parser = crate::units::parse_duration, value_name = "AGE")]
    pub(crate) stale_claim_after: Option<std::time::Duration>,
}

/// `update-meta`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("meta_required").args(["meta", "meta_file"]).required(true)))]
pub(crate) struct UpdateMetaArgs {
    /// UID, short ID, legacy UID or alias.
    #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
    pub(crate) id: String,
    /// The metadata.
    #[command(flatten)]
    pub(crate) meta: MetaArgs,
    /// Replace the metadata instead of merging into it.
    #[arg(long)]
    pub(crate) replace: bool,
}

/// Which file `url` names.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum UrlType {
    /// The zip archive.
    Model,
    /// The header.
    Header,
    /// The metadata.
    Meta,
}

/// `url`.
#[derive(Debug, Args)]
pub(crate) struct UrlArgs {
    /// UID, short ID, legacy UID or alias.
    #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
    pub(crate) id: String,
    /// Which file.
    #[arg(long = "type", value_enum, default_value_t = UrlType::Model)]
    pub(crate) kind: UrlType,
}

/// `uid`.
#[derive(Debug, Args)]
pub(crate) struct UidArgs {
    /// The model name.
    #[arg(long)]
    pub(crate) name: String,
    /// The subgroup.
    #[arg(long)]
    pub(crate) subgroup: Option<String>,
    /// The parameters.
    #[command(flatten)]
    pub(crate) params: ParamsArgs,
    /// The version; without it the short ID is printed.
    #[arg(long)]
    pub(crate) version: Option<String>,
    /// Print the 36-character legacy UID (needs --version).
    #[arg(long, requires = "version")]
    pub(crate) legacy: bool,
    /// The legacy UID of the private legacy repository.
    #[arg(long, requires = "legacy")]
    pub(crate) private: bool,
}

/// `alias ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AliasCommand {
    /// Point ALIAS at a model (moving it when it names another); prints nothing.
    #[command(after_help = "Example:\n  audmodel alias set my-cnn d4e9c65b-1.0.0")]
    Set {
        /// The alias.
        #[arg(add = ArgValueCompleter::new(crate::complete::aliases))]
        alias: String,
        /// UID, short ID, legacy UID or alias of the model.
        #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
        id: String,
    },
    /// Print every alias of every repository with the UID it points at.
    #[command(after_help = "Example:\n  audmodel alias ls")]
    Ls,
    /// Print the UID an alias points at.
    #[command(after_help = "Example:\n  audmodel alias resolve my-cnn")]
    Resolve {
        /// The alias.
        #[arg(add = ArgValueCompleter::new(crate::complete::aliases))]
        alias: String,
    },
}

/// `ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// Only models of this name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Only models of this subgroup or below it.
    #[arg(long)]
    pub(crate) subgroup: Option<String>,
    /// Only models with this parameter value (KEY=VALUE, the value read as YAML); repeatable.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = crate::input::key_value)]
    pub(crate) params: Vec<(String, audmodel::Value)>,
    /// Only models whose name, subgroup or a parameter value contains this
    /// text (ignoring case).
    #[arg(long, value_name = "TEXT")]
    pub(crate) search: Option<String>,
}

/// `diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// Two or more UIDs, short IDs, legacy UIDs or aliases.
    #[arg(required = true, num_args = 2.., add = ArgValueCompleter::new(crate::complete::model_ids))]
    pub(crate) ids: Vec<String>,
    /// Print every key, also those equal in all models.
    #[arg(long)]
    pub(crate) all: bool,
}

/// `serve`.
#[cfg(feature = "web")]
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on; port 0 takes a free one. Anything but
    /// a loopback address lets other machines in: see --token-file.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDRESS:PORT")]
    pub(crate) bind: std::net::SocketAddr,
    /// Serve only these repositories (repeatable; default: every configured one).
    #[arg(long, value_name = "NAME")]
    pub(crate) repository: Vec<String>,
    /// A file holding a token every request must send as
    /// `Authorization: Bearer TOKEN` (else 401).
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
    /// Open the page in the default browser.
    #[arg(long)]
    pub(crate) open: bool,
}

/// `verify`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").args(["id", "all"]).required(true)))]
pub(crate) struct VerifyArgs {
    /// UID, short ID, legacy UID or alias.
    #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
    pub(crate) id: Option<String>,
    /// Every published model.
    #[arg(long)]
    pub(crate) all: bool,
    /// With --all: only the models of this repository.
    #[arg(long, value_name = "NAME", requires = "all")]
    pub(crate) repository: Option<String>,
}

/// `gc`.
#[derive(Debug, Args)]
pub(crate) struct GcArgs {
    /// Only this repository (default: every configured one).
    #[arg(long, value_name = "NAME")]
    pub(crate) repository: Option<String>,
    /// Leave what changed more recently than this, which may be a live
    /// publisher's (s, m, h, d, w; default 1h, the age at which a publish
    /// takes over a claim).
    #[arg(long, value_parser = crate::units::parse_duration, value_name = "AGE")]
    pub(crate) older_than: Option<std::time::Duration>,
    /// Only print what would be removed.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// `cache ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// List every model in the cache: UID, name, subgroup, size on disk,
    /// files, when last loaded, and state (complete; partial: a load was
    /// cut short; no-model: only the header or metadata copy); a total line.
    #[command(after_help = "Example:\n  audmodel cache ls --sort size")]
    Ls {
        /// Order of the rows: largest, least recently loaded, or by name
        /// (default: by UID).
        #[arg(long, value_enum)]
        sort: Option<CacheSort>,
    },
    /// Check cached models against their archives' table of contents in the
    /// repository (no download): sizes, CRC-32s, no missing or extra files.
    /// Exit status 8 when any is damaged.
    #[command(after_help = "Example:\n  audmodel cache verify --repair")]
    Verify {
        /// UIDs, short IDs (every cached version) or aliases; all complete
        /// models when none.
        #[arg(add = ArgValueCompleter::new(crate::complete::model_ids))]
        ids: Vec<String>,
        /// Load the damaged models again.
        #[arg(long)]
        repair: bool,
    },
    /// Remove models from the cache; prints what was freed.
    #[command(after_help = "Example:\n  audmodel cache rm d4e9c65b-1.0.0")]
    Rm {
        /// UIDs, short IDs (every cached version) or aliases.
        #[arg(required = true, add = ArgValueCompleter::new(crate::complete::model_ids))]
        ids: Vec<String>,
    },
    /// Remove the least recently loaded models; prints what was freed.
    #[command(
        after_help = "Example:\n  audmodel cache prune --older-than 30d --max-size 50GiB --dry-run"
    )]
    Prune {
        /// Remove models not loaded for this long (s, m, h, d, w: 30d).
        #[arg(long, value_parser = crate::units::parse_duration, value_name = "AGE")]
        older_than: Option<std::time::Duration>,
        /// Then remove the least recently loaded until the cache takes at
        /// most this much (B, KB, MB, GB, KiB, MiB, GiB, TiB: 50GiB).
        #[arg(long, value_parser = crate::units::parse_size, value_name = "SIZE")]
        max_size: Option<u64>,
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Orders of `cache ls`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CacheSort {
    /// Largest first.
    Size,
    /// Least recently loaded first.
    Used,
    /// By name, then UID.
    Name,
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("'{text}' is not a number of seconds (0 or more)"))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("'{text}' is not a date YYYY-MM-DD ({e})"))
}
