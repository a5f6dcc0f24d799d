//! The request validation of the Node service: zod for POST /events,
//! class-validator (and validator.js) for POST /alerts, reproduced with their
//! messages, since those messages are what a client sees in a 400.

pub mod alert;
pub mod email;
pub mod event;

/// Builds a JSON array element by element: zod's `issues`, class-validator's messages.
#[derive(Default)]
pub(crate) struct JsonArray {
    json: Vec<u8>,
}

impl JsonArray {
    /// Appends an element that is already JSON.
    pub fn push_json(&mut self, element: &[u8]) {
        self.separator();
        self.json.extend_from_slice(element);
    }

    /// Appends a string (WTF-8) as a JSON string.
    pub fn push_string(&mut self, s: &[u8]) {
        self.separator();
        crate::js::string::write_json_string(&mut self.json, s);
    }

    fn separator(&mut self) {
        self.json
            .push(if self.json.is_empty() { b'[' } else { b',' });
    }

    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    pub fn finish(mut self) -> Vec<u8> {
        if self.json.is_empty() {
            self.json.push(b'[');
        }
        self.json.push(b']');
        self.json
    }
}
