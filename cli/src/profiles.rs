//! Server profiles: `switchyard login` stores a server URL and a token per
//! profile name in one file, readable by its owner only (mode 0600), at
//! `$SWITCHYARD_CONFIG`, else `$XDG_CONFIG_HOME/switchyard/profiles.json`,
//! else `~/.config/switchyard/profiles.json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Profile {
    pub url: String,
    pub token: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profiles {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where the profiles live.
pub fn path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("SWITCHYARD_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set; set SWITCHYARD_CONFIG")?).join(".config")
        }
    };
    Ok(base.join("switchyard").join("profiles.json"))
}

impl Profiles {
    /// The stored profiles (none when the file does not exist yet).
    pub fn load() -> Result<Self, String> {
        let path = path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the file atomically, created with mode 0600 (the tokens are secrets).
    pub fn save(&self) -> Result<PathBuf, String> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let path = path()?;
        let dir = path.parent().ok_or("the profiles path has no directory")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tmp = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        file.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", tmp.display()))?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        // A file written by an older version keeps no wider mode.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
        Ok(path)
    }
}
