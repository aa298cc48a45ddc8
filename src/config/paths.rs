//! Where the config, data and state live.

use std::path::PathBuf;

/// Standard locations (XDG on Linux).
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Paths {
        match directories::ProjectDirs::from("", "", "agent-hubble") {
            Some(d) => Paths {
                config_dir: d.config_dir().to_path_buf(),
                data_dir: d.data_dir().to_path_buf(),
                state_dir: d.state_dir().unwrap_or(d.data_dir()).to_path_buf(),
            },
            None => {
                let base = std::env::temp_dir().join("agent-hubble");
                Paths {
                    config_dir: base.join("config"),
                    data_dir: base.join("data"),
                    state_dir: base.join("state"),
                }
            }
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    pub fn keymaps_dir(&self) -> PathBuf {
        self.config_dir.join("keymaps")
    }
}
