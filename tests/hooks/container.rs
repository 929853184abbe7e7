//! Hook points through real containers (hooks.md §14 #11, #15; issue 5 must-show).
