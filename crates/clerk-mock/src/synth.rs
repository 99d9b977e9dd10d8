//! Answers for operations the mock does not keep state for: the example built from the success
//! schema at compile time, with fresh ids and current timestamps, and the id from the path
//! where the answer describes the resource the path names.

use crate::ids::{IdGen, now_ms};
use crate::request::Req;
use crate::spec::Operation;
use serde_json::Value;

/// The synthesized success body of `req`'s operation, `None` when it has no body.
pub(crate) fn answer(req: &Req, ids: &IdGen, instance_id: &str) -> Option<Value> {
    let mut value = example(req.op, ids, instance_id)?;
    if let (Some(param), Some(obj)) = (req.op.echo_id_param, value.as_object_mut()) {
        obj.insert(
            "id".into(),
            Value::String(req.path_param(param).to_string()),
        );
    }
    Some(value)
}

/// The success body of `op` built from its schema, with fresh ids and current timestamps;
/// stateful handlers start new resources from it so that every required field is present.
pub(crate) fn example(op: &Operation, ids: &IdGen, instance_id: &str) -> Option<Value> {
    let mut value: Value = serde_json::from_str(op.response?).ok()?;
    freshen(&mut value, ids, instance_id, now_ms());
    Some(value)
}

/// Replaces placeholder ids with new ones and zero timestamps with `now`.
///
/// Placeholders are `<prefix>_mock` (an id in Clerk's usual format) and `<prefix>_000...` (an id
/// whose schema gives a pattern; the zeros become hex digits, which every such pattern accepts).
fn freshen(value: &mut Value, ids: &IdGen, instance_id: &str, now: i64) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(s) if key == "id" || key.ends_with("_id") => {
                        if let Some(prefix) = s.strip_suffix("_mock") {
                            *s = if prefix == "ins" {
                                instance_id.to_string()
                            } else {
                                ids.next(prefix)
                            };
                        } else if let Some((prefix, zeros)) = s.rsplit_once('_')
                            && zeros.len() >= 16
                            && zeros.bytes().all(|b| b == b'0')
                        {
                            *s = format!("{prefix}_{}", ids.hex(zeros.len()));
                        }
                    }
                    Value::Number(n) if key.ends_with("_at") && n.as_f64() == Some(0.0) => {
                        let at = if key.starts_with("expire") {
                            now + 86_400_000
                        } else {
                            now
                        };
                        *item = Value::from(at);
                    }
                    _ => freshen(item, ids, instance_id, now),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                freshen(item, ids, instance_id, now);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_ids_and_times() {
        let ids = IdGen::new();
        let mut v = json!({
            "id": "jtmp_mock",
            "created_at": 0,
            "expire_at": 0,
            "nested": [{ "id": "ins_mock" }, { "id": "ak_00000000000000000000000000000000" }],
            "name": "x_mock"
        });
        freshen(&mut v, &ids, "ins_1", 1000);
        let hex_id = v["nested"][1]["id"].as_str().unwrap_or_default();
        assert!(
            hex_id.starts_with("ak_")
                && hex_id.len() == 35
                && hex_id != "ak_00000000000000000000000000000000"
        );
        assert!(hex_id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(
            v["id"]
                .as_str()
                .is_some_and(|s| s.starts_with("jtmp_") && s.len() > 10)
        );
        assert_eq!(v["created_at"], 1000);
        assert_eq!(v["expire_at"], 1000 + 86_400_000);
        assert_eq!(v["nested"][0]["id"], "ins_1");
        assert_eq!(v["name"], "x_mock");
    }
}
