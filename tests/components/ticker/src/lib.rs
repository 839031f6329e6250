//! A test-only cron component: each tick adds one to the `ticks` key of the
//! default key-value store, which tests read back through the probe.

wit_bindgen::generate!({
    path: "../../../wit/spin-cron.wit",
    world: "spin-cron",
});

use spin_sdk::key_value::Store;

struct Ticker;

impl Guest for Ticker {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let store = Store::open_default().map_err(|e| Error::Other(format!("{e:?}")))?;
        let ticks = store
            .get("ticks")
            .map_err(|e| Error::Other(format!("{e:?}")))?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        store.set("ticks", (ticks + 1).to_string().as_bytes()).map_err(|e| Error::Other(format!("{e:?}")))?;
        store
            .set("last_tick", metadata.timestamp.to_string().as_bytes())
            .map_err(|e| Error::Other(format!("{e:?}")))?;
        Ok(())
    }
}

export!(Ticker);
