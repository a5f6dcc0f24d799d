//! TEMPORARY (replaced by the renderers from h/render).
use crabport_plan::Plan;
pub fn terminal(plan: &Plan, _width: usize) -> String {
    json(plan).unwrap_or_default()
}
pub fn markdown(plan: &Plan) -> String {
    json(plan).unwrap_or_default()
}
pub fn html(plan: &Plan) -> String {
    json(plan).unwrap_or_default()
}
pub fn json(plan: &Plan) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(plan).map(|s| s + "\n")
}
