//! The little git the harness needs, run as the `git` CLI (no git library):
//! a detached worktree per lane, `status --porcelain` to spot file changes
//! while the agent works, and `diff --numstat` for the final summary.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::process::Command;

use crate::protocol::{AddedLine, Change, ChangedFile, CheckpointFile, DiffStat};

/// Variables that would point git (ours or the agent's) at another repository
/// than the worktree it runs in, e.g. when the harness itself runs from a hook.
pub const GIT_LOCATION_VARS: [&str; 5] =
    ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"];

/// Runs `git <args>` in `dir` and returns its stdout; a non-zero exit is an
/// error carrying git's stderr.
async fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    git_with(dir, args, &[]).await
}

/// [`git`] with extra variables (a private index, a commit identity).
async fn git_with(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Result<Vec<u8>> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args).stdin(Stdio::null()).kill_on_drop(true);
    for var in GIT_LOCATION_VARS {
        cmd.env_remove(var);
    }
    for (var, value) in env {
        cmd.env(var, value);
    }
    let out = cmd.output().await.with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        bail!("git {} failed ({}): {}", args.join(" "), out.status, stderr.join(" | "));
    }
    Ok(out.stdout)
}

/// `git -C <repo> worktree add --detach <dest> <start>`: a fresh checkout of
/// `start` (the repository's `HEAD`, or a restored snapshot's commit) that the
/// agent may change freely.
///
/// A worktree whose directory was deleted by hand stays registered and makes
/// git refuse the path; then the add is retried with `--force`, which
/// overrides exactly that (the caller has checked the path does not exist).
pub async fn add_worktree(repo: &Path, dest: &Path, start: &str) -> Result<()> {
    let dest = dest.to_str().context("worktree path is not UTF-8")?;
    match git(repo, &["worktree", "add", "--detach", dest, start]).await {
        Err(e) if e.to_string().contains("missing but already registered worktree") => {
            git(repo, &["worktree", "add", "--force", "--detach", dest, start]).await.map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

/// The worktree's status, path → two-letter porcelain code (`??`, ` M`, `A `, …).
/// `--no-optional-locks` keeps this background poll from taking `index.lock`
/// under an agent that is running git itself.
pub async fn status(worktree: &Path) -> Result<BTreeMap<String, String>> {
    let out = git(worktree, &["--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=all"]).await?;
    Ok(parse_porcelain_z(&out))
}

/// Parses `git status --porcelain -z`: entries `XY path\0`; a rename or copy
/// entry is followed by its original path (`XY new\0old\0`), which is reported
/// as deleted (`D `) for a rename and skipped for a copy.
pub fn parse_porcelain_z(out: &[u8]) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(field) = fields.next() {
        if field.len() < 4 {
            continue;
        }
        let code = String::from_utf8_lossy(&field[..2]).into_owned();
        let path = String::from_utf8_lossy(&field[3..]).into_owned();
        // A rename or copy entry is followed by its original path; a rename removed it.
        let orig = if code.contains('R') || code.contains('C') { fields.next() } else { None };
        if let Some(orig) = orig
            && code.contains('R')
        {
            entries.insert(String::from_utf8_lossy(orig).into_owned(), "D ".to_owned());
        }
        entries.insert(path, code);
    }
    entries
}

/// What a porcelain code means for the file on disk: gone if either column
/// says deleted, new if untracked, added, renamed or copied, otherwise modified.
pub fn classify(code: &str) -> Change {
    if code.contains('D') {
        Change::Deleted
    } else if code == "??" || code.contains('A') || code.contains('R') || code.contains('C') {
        Change::Added
    } else {
        Change::Modified
    }
}

/// Remembers the last status so only what appeared or changed is reported.
#[derive(Debug, Default)]
pub struct StatusTracker {
    last: BTreeMap<String, String>,
}

impl StatusTracker {
    /// The changes since the previous look, in path order. A path that drops
    /// out of the status (it is back to its committed content, or an untracked
    /// file was removed) is reported too: deleted if it was new, else modified.
    pub fn update(&mut self, now: BTreeMap<String, String>) -> Vec<(String, Change)> {
        let mut changes = Vec::new();
        for (path, code) in &now {
            if self.last.get(path) != Some(code) {
                changes.push((path.clone(), classify(code)));
            }
        }
        for (path, code) in &self.last {
            if !now.contains_key(path) {
                let change = if classify(code) == Change::Added { Change::Deleted } else { Change::Modified };
                changes.push((path.clone(), change));
            }
        }
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        self.last = now;
        changes
    }
}

/// Snapshots of a lane's worktree: each a commit of everything in it (a
/// private index, so the agent's own staging is untouched), chained from the
/// commit the lane started at and kept under `refs/switchyard/snapshots/<lane>/<seq>`
/// in the repository, so a later lane can start from one.
#[derive(Debug)]
pub struct Snapshots {
    index: std::path::PathBuf,
    refs: String,
    base_tree: String,
    last_commit: String,
    last_tree: String,
    seq: u32,
}

/// Who the snapshot commits are by.
const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Switchyard harness"),
    ("GIT_AUTHOR_EMAIL", "harness@switchyard.invalid"),
    ("GIT_COMMITTER_NAME", "Switchyard harness"),
    ("GIT_COMMITTER_EMAIL", "harness@switchyard.invalid"),
];

/// A snapshot just taken and what changed since the previous one.
#[derive(Debug)]
pub struct Snapshot {
    pub seq: u32,
    pub commit: String,
    pub files: Vec<CheckpointFile>,
    pub total: DiffStat,
}

impl Snapshots {
    /// Snapshots of `worktree` from `base`, with the private index at `index`, named after `name`.
    pub async fn new(worktree: &Path, base: &str, index: std::path::PathBuf, name: &str) -> Result<Self> {
        let tree = String::from_utf8_lossy(&git(worktree, &["rev-parse", &format!("{base}^{{tree}}")]).await?)
            .trim()
            .to_owned();
        let _ = std::fs::remove_file(&index);
        // Seeded from the worktree's own index, so the first snapshot hashes
        // only what changed, not the whole checkout.
        if let Ok(own) = git(worktree, &["rev-parse", "--path-format=absolute", "--git-path", "index"]).await {
            let own = std::path::PathBuf::from(String::from_utf8_lossy(&own).trim());
            let _ = std::fs::copy(own, &index);
        }
        Ok(Self {
            index,
            refs: format!("refs/switchyard/snapshots/{name}"),
            base_tree: tree.clone(),
            last_commit: base.to_owned(),
            last_tree: tree,
            seq: 0,
        })
    }

    /// Takes a snapshot if anything changed since the last one.
    pub async fn take(&mut self, worktree: &Path) -> Result<Option<Snapshot>> {
        let index = [("GIT_INDEX_FILE", self.index.as_os_str())];
        git_with(worktree, &["add", "-A"], &index).await?;
        let tree = String::from_utf8_lossy(&git_with(worktree, &["write-tree"], &index).await?).trim().to_owned();
        if tree == self.last_tree {
            return Ok(None);
        }
        let seq = self.seq + 1;
        let identity: Vec<(&str, &std::ffi::OsStr)> =
            IDENTITY.iter().map(|(k, v)| (*k, std::ffi::OsStr::new(*v))).collect();
        let message = format!("switchyard checkpoint {seq}");
        let commit =
            git_with(worktree, &["commit-tree", &tree, "-p", &self.last_commit, "-m", &message], &identity).await?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        git(worktree, &["update-ref", &format!("{}/{seq}", self.refs), &commit]).await?;
        let files = changed_files(worktree, &self.last_tree, &tree).await?;
        let total = parse_numstat(&String::from_utf8_lossy(
            &git(worktree, &["diff-tree", "-r", "--no-renames", "--numstat", &self.base_tree, &tree]).await?,
        ));
        (self.seq, self.last_commit, self.last_tree) = (seq, commit.clone(), tree);
        Ok(Some(Snapshot { seq, commit, files, total }))
    }
}

/// The files that differ between two trees, with lines and hunks.
async fn changed_files(dir: &Path, from: &str, to: &str) -> Result<Vec<CheckpointFile>> {
    let status = git(dir, &["diff-tree", "-r", "--no-renames", "--name-status", "-z", from, to]).await?;
    let numstat = git(dir, &["diff-tree", "-r", "--no-renames", "--numstat", "-z", from, to]).await?;
    let patch = git(dir, &["diff-tree", "-r", "--no-renames", "-U0", "--no-color", "--no-ext-diff", from, to]).await?;
    Ok(parse_changed(&status, &numstat, &String::from_utf8_lossy(&patch)))
}

/// Joins `--name-status -z`, `--numstat -z` and a `-U0` patch into files.
pub fn parse_changed(status: &[u8], numstat: &[u8], patch: &str) -> Vec<CheckpointFile> {
    let mut files: BTreeMap<String, CheckpointFile> = BTreeMap::new();
    let mut fields = status.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let (Some(code), Some(path)) = (fields.next(), fields.next()) {
        let change = match code.first() {
            Some(b'A') => Change::Added,
            Some(b'D') => Change::Deleted,
            _ => Change::Modified,
        };
        let path = String::from_utf8_lossy(path).into_owned();
        // The server takes no control characters in a path, and at most MAX_FILES files.
        if path.chars().any(char::is_control) || files.len() >= MAX_FILES {
            continue;
        }
        files.insert(
            path.clone(),
            CheckpointFile { path, change, insertions: 0, deletions: 0, hunks: 0, binary: false },
        );
    }
    for record in numstat.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let mut cols = record.splitn(3, '\t');
        let (Some(ins), Some(del), Some(path)) = (cols.next(), cols.next(), cols.next()) else { continue };
        if let Some(f) = files.get_mut(path) {
            f.binary = ins == "-";
            f.insertions = ins.parse().unwrap_or(0);
            f.deletions = del.parse().unwrap_or(0);
        }
    }
    let mut current: Option<String> = None;
    let mut old: Option<String> = None;
    for line in patch.lines() {
        if let Some(p) = line.strip_prefix("--- ") {
            old = p.strip_prefix("a/").map(str::to_owned);
        } else if let Some(p) = line.strip_prefix("+++ ") {
            current = p.strip_prefix("b/").map(str::to_owned).or_else(|| old.clone());
        } else if line.starts_with("@@ ")
            && let Some(f) = current.as_ref().and_then(|p| files.get_mut(p))
        {
            f.hunks += 1;
        }
    }
    files.into_values().collect()
}

/// Where the lane that took snapshot `commit` started: the first commit up
/// its first-parent chain that is not a snapshot (a restored lane is checked
/// against everything since then, not only what it changed itself).
pub async fn snapshot_base(worktree: &Path, commit: &str) -> Result<String> {
    let log = git(worktree, &["log", "--first-parent", "--format=%H %s", "-n", "100000", commit]).await?;
    let log = String::from_utf8_lossy(&log);
    for line in log.lines() {
        let (hash, subject) = line.split_once(' ').unwrap_or((line, ""));
        if !subject.starts_with("switchyard checkpoint ") {
            return Ok(hash.to_owned());
        }
    }
    bail!("no commit before the snapshots of {commit}")
}

/// The commit a worktree starts from (`git rev-parse HEAD`).
pub async fn head(worktree: &Path) -> Result<String> {
    let out = git(worktree, &["rev-parse", "HEAD"]).await?;
    Ok(String::from_utf8_lossy(&out).trim().to_owned())
}

/// Stages everything (`git add -A`) and sums `git diff --cached --numstat <base>`
/// (everything since the worktree was made, commits included). The staging
/// stays in the worktree, so `git diff --cached` there shows the uncommitted part.
pub async fn diff_stat(worktree: &Path, base: &str) -> Result<DiffStat> {
    git(worktree, &["add", "-A"]).await?;
    let out = git(worktree, &["diff", "--cached", "--numstat", base]).await?;
    Ok(parse_numstat(&String::from_utf8_lossy(&out)))
}

/// The lines added since `base` (after [`diff_stat`] staged everything), by file.
pub async fn added_lines(worktree: &Path, base: &str) -> Result<Vec<ChangedFile>> {
    let out = git(worktree, &["diff", "--cached", "-U0", "--no-color", "--no-ext-diff", base]).await?;
    Ok(parse_added(&String::from_utf8_lossy(&out)))
}

/// The most files and lines per file sent with `completed` (the server's limits), and the longest line kept.
const MAX_FILES: usize = 2000;
const MAX_LINES: usize = 10_000;
const MAX_LINE_BYTES: usize = 4096;

/// Reads a `-U0` diff: `+++ b/<path>` starts a file, `@@ -a,b +c,d @@` sets the
/// new line number, each `+` line is an added line. Deleted files have none.
pub fn parse_added(diff: &str) -> Vec<ChangedFile> {
    let mut files: Vec<ChangedFile> = Vec::new();
    let mut next_line = 0u32;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            if files.len() >= MAX_FILES {
                break;
            }
            let path = path.strip_prefix("b/").unwrap_or(path);
            if path != "/dev/null" {
                files.push(ChangedFile { path: path.to_owned(), added: Vec::new() });
            }
            continue;
        }
        if line.starts_with("--- ") || line.starts_with("diff --git ") {
            continue;
        }
        if let Some(hunk) = line.strip_prefix("@@ ") {
            let new = hunk.split_whitespace().find_map(|part| part.strip_prefix('+'));
            next_line = new.and_then(|n| n.split(',').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
            continue;
        }
        if let (Some(text), Some(file)) = (line.strip_prefix('+'), files.last_mut()) {
            if file.added.len() < MAX_LINES {
                let mut end = text.len().min(MAX_LINE_BYTES);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                file.added.push(AddedLine { line: next_line, text: text[..end].to_owned() });
            }
            next_line = next_line.saturating_add(1);
        }
    }
    files
}

/// Sums `--numstat` lines (`ins\tdel\tpath`); binary files (`-\t-\tpath`)
/// count as a changed file with no lines.
pub fn parse_numstat(out: &str) -> DiffStat {
    let mut stat = DiffStat::default();
    for line in out.lines() {
        let mut cols = line.splitn(3, '\t');
        let (Some(ins), Some(del), Some(_path)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        stat.files_changed += 1;
        stat.insertions += ins.trim().parse::<u64>().unwrap_or(0);
        stat.deletions += del.trim().parse::<u64>().unwrap_or(0);
    }
    stat
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_carry_their_new_line_numbers() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\nindex 1..2 100644\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3,0 +4,2 @@ fn x()\n+let a = 1;\n+let b = 2;\n@@ -10 +12 @@\n-old\n+new\ndiff --git a/gone.txt b/gone.txt\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
        let files = parse_added(diff);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "src/a.rs");
        let lines: Vec<(u32, &str)> = files[0].added.iter().map(|a| (a.line, a.text.as_str())).collect();
        assert_eq!(lines, [(4, "let a = 1;"), (5, "let b = 2;"), (12, "new")]);
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect()
    }

    #[test]
    fn porcelain_z_entries_renames_and_odd_names() {
        let out = b"?? new file.txt\0 M src/lib.rs\0D  gone.rs\0R  to.rs\0from.rs\0C  copy.rs\0orig.rs\0AM staged.rs\0";
        let got = parse_porcelain_z(out);
        assert_eq!(
            got,
            map(&[
                ("new file.txt", "??"),
                ("src/lib.rs", " M"),
                ("gone.rs", "D "),
                ("to.rs", "R "),
                ("from.rs", "D "),
                ("copy.rs", "C "),
                ("staged.rs", "AM"),
            ])
        );
        assert!(parse_porcelain_z(b"").is_empty());
    }

    #[test]
    fn codes_classify() {
        assert_eq!(classify("??"), Change::Added);
        assert_eq!(classify("A "), Change::Added);
        assert_eq!(classify("AM"), Change::Added);
        assert_eq!(classify("R "), Change::Added);
        assert_eq!(classify(" M"), Change::Modified);
        assert_eq!(classify("MM"), Change::Modified);
        assert_eq!(classify("UU"), Change::Modified);
        assert_eq!(classify(" D"), Change::Deleted);
        assert_eq!(classify("D "), Change::Deleted);
        assert_eq!(classify("AD"), Change::Deleted);
    }

    #[test]
    fn tracker_reports_only_what_appeared_or_changed() {
        let mut t = StatusTracker::default();
        assert_eq!(
            t.update(map(&[("a.rs", " M"), ("b.txt", "??")])),
            vec![("a.rs".to_owned(), Change::Modified), ("b.txt".to_owned(), Change::Added)]
        );
        // Same status: nothing new.
        assert!(t.update(map(&[("a.rs", " M"), ("b.txt", "??")])).is_empty());
        // a.rs staged (code changed), c.rs deleted, b.txt removed again.
        assert_eq!(
            t.update(map(&[("a.rs", "M "), ("c.rs", " D")])),
            vec![
                ("a.rs".to_owned(), Change::Modified),
                ("b.txt".to_owned(), Change::Deleted),
                ("c.rs".to_owned(), Change::Deleted),
            ]
        );
        // a.rs reverted to HEAD: it changed again.
        assert_eq!(t.update(map(&[("c.rs", " D")])), vec![("a.rs".to_owned(), Change::Modified)]);
    }

    #[test]
    fn numstat_sums_and_counts_binaries() {
        let out = "10\t1\tsrc/lib.rs\n3\t0\tREADME.md\n-\t-\tlogo.png\n0\t5\told => new.rs\n";
        assert_eq!(parse_numstat(out), DiffStat { files_changed: 4, insertions: 13, deletions: 6 });
        assert_eq!(parse_numstat(""), DiffStat::default());
    }

    /// End to end against a real repository, when git is installed.
    #[tokio::test]
    async fn worktree_status_and_diff_stat() {
        if std::process::Command::new("git").arg("--version").output().is_err() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("demo");
        std::fs::create_dir_all(&repo).unwrap();
        let run = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        run(&["init", "-q"]);
        std::fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
        std::fs::write(repo.join("gone.txt"), "x\n").unwrap();
        run(&["add", "-A"]);
        run(&["commit", "-q", "-m", "init"]);

        let wt = tmp.path().join("work").join("lane_1");
        std::fs::create_dir_all(wt.parent().unwrap()).unwrap();
        add_worktree(&repo, &wt, "HEAD").await.unwrap();
        assert!(wt.join("a.txt").exists());
        let base = head(&wt).await.unwrap();
        let mut snaps = Snapshots::new(&wt, &base, tmp.path().join("snap.index"), "lane_1").await.unwrap();
        assert!(snaps.take(&wt).await.unwrap().is_none(), "nothing changed yet");

        std::fs::write(wt.join("a.txt"), "one\nTWO\nthree\n").unwrap();
        std::fs::remove_file(wt.join("gone.txt")).unwrap();
        std::fs::create_dir_all(wt.join("dir")).unwrap();
        std::fs::write(wt.join("dir/new.bin"), [0u8, 1, 2, 0]).unwrap();
        let mut tracker = StatusTracker::default();
        let changes = tracker.update(status(&wt).await.unwrap());
        assert_eq!(
            changes,
            vec![
                ("a.txt".to_owned(), Change::Modified),
                ("dir/new.bin".to_owned(), Change::Added),
                ("gone.txt".to_owned(), Change::Deleted),
            ]
        );
        let snap = snaps.take(&wt).await.unwrap().unwrap();
        assert_eq!(snap.seq, 1);
        let got: Vec<(&str, Change, u64, u64, u64, bool)> = snap
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.change, f.insertions, f.deletions, f.hunks, f.binary))
            .collect();
        assert_eq!(
            got,
            [
                ("a.txt", Change::Modified, 2, 1, 1, false),
                ("dir/new.bin", Change::Added, 0, 0, 0, true),
                ("gone.txt", Change::Deleted, 0, 1, 1, false),
            ]
        );
        assert_eq!(snap.total, DiffStat { files_changed: 3, insertions: 2, deletions: 2 });
        std::fs::write(wt.join("a.txt"), "one\nTWO\nthree\nfour\n").unwrap();
        let second = snaps.take(&wt).await.unwrap().unwrap();
        assert_eq!((second.seq, second.files.len(), second.total.insertions), (2, 1, 3));
        // The snapshot is a commit in the repository that a new worktree can start from.
        let wt2 = tmp.path().join("work").join("lane_2");
        add_worktree(&repo, &wt2, &snap.commit).await.unwrap();
        assert_eq!(std::fs::read_to_string(wt2.join("a.txt")).unwrap(), "one\nTWO\nthree\n");
        assert_eq!(snapshot_base(&wt2, &second.commit).await.unwrap(), base);
        assert!(wt2.join("dir/new.bin").exists() && !wt2.join("gone.txt").exists());
        let stat = diff_stat(&wt, "HEAD").await.unwrap();
        assert_eq!(stat, DiffStat { files_changed: 3, insertions: 3, deletions: 2 });
        // A second worktree at the same path is refused, with git's reason.
        let err = add_worktree(&repo, &wt, "HEAD").await.unwrap_err().to_string();
        assert!(err.contains("worktree add"), "{err}");
        // A worktree deleted by hand does not block its path.
        std::fs::remove_dir_all(&wt).unwrap();
        add_worktree(&repo, &wt, "HEAD").await.unwrap();
        assert!(wt.join("a.txt").exists());
    }
}
