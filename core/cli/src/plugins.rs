//! Names every compiled-in plugin crate once, so that `inventory` keeps its registrations
//! (architecture.md §7: registrations from crates the binary never names are dropped).

#[cfg(feature = "plugin-bind-policy")]
use sifter_plugin_bind_policy as _;
#[cfg(feature = "plugin-cdi")]
use sifter_plugin_cdi as _;
