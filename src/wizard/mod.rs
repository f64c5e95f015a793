//! The booking wizard.

/// Session key of the wizard's public current step.
pub const STEP_KEY: &str = "step";
