//! OpenAI's strict mode for tool schemas (`--strict-tools`): the server then guarantees the
//! arguments match the schema, but accepts only a subset of JSON Schema — every object closed
//! (`additionalProperties: false`) with every property required (optional ones nullable), no
//! `default`, no `minimum`/`maximum`, no `format`, no keywords beside a `$ref`, and no maps. This
//! module turns our schemas into that form, and turns the arguments a strict model sends back
//! into what our parsers take (nulls for absent fields dropped, entry lists back into maps).
//! Pure: no HTTP here.

use serde_json::{Map, Value, json};

/// Keywords strict mode refuses; what they said moves into the description where it matters.
const REFUSED: &[&str] = &[
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "format",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "patternProperties",
    "propertyNames",
];

/// A tool's schema in strict form, and where it turned maps into entry lists (paths of
/// property names, `[]` for an array's items) so the arguments can be turned back.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictSchema {
    /// The schema to send with `"strict": true`.
    pub schema: Value,
    /// Paths of the maps sent as `[{"key": …, "value": …}]`.
    pub maps: Vec<Vec<String>>,
}

/// `schema` in strict form.
pub fn schema(schema: &Value) -> StrictSchema {
    let mut maps = Vec::new();
    let mut out = schema.clone();
    if let Some(defs) = out.get_mut("$defs").and_then(Value::as_object_mut) {
        for d in defs.values_mut() {
            // Maps inside definitions have no single path; ours have none (a test holds that).
            convert(d, &mut Vec::new(), &mut Vec::new());
        }
    }
    let mut root = out.take();
    let defs = root.as_object_mut().and_then(|o| o.remove("$defs"));
    convert(&mut root, &mut Vec::new(), &mut maps);
    if let (Some(defs), Some(o)) = (defs, root.as_object_mut()) {
        o.insert("$defs".into(), defs);
    }
    StrictSchema { schema: root, maps }
}

fn convert(v: &mut Value, path: &mut Vec<String>, maps: &mut Vec<Vec<String>>) {
    let Some(o) = v.as_object_mut() else {
        return;
    };
    let mut notes = Vec::new();
    for k in REFUSED {
        if let Some(x) = o.remove(*k) {
            match *k {
                "minimum" => notes.push(format!("at least {x}")),
                "maximum" => notes.push(format!("at most {x}")),
                "default" if !x.is_null() => notes.push(format!("default {x}")),
                _ => {}
            }
        }
    }
    if !notes.is_empty() {
        super::tools::annotate(o, &notes.join(", "));
    }
    // A map: sent as a list of entries.
    if let Some(value_schema) = o
        .get("additionalProperties")
        .filter(|a| a.is_object())
        .cloned()
        && o.get("properties").is_none()
    {
        maps.push(path.clone());
        let mut value_schema = value_schema;
        path.push("[]".into());
        path.push("value".into());
        convert(&mut value_schema, path, maps);
        path.truncate(path.len() - 2);
        let description = o.get("description").cloned();
        let mut entry = json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"key": {"type": "string"}, "value": value_schema},
                "required": ["key", "value"],
                "additionalProperties": false
            }
        });
        if let Some(d) = description {
            entry["description"] = d;
        }
        *v = entry;
        return;
    }
    if let Some(Value::Object(props)) = o.get("properties").cloned() {
        let required: Vec<String> = o
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let mut new_props = Map::new();
        for (name, mut p) in props {
            path.push(name.clone());
            convert(&mut p, path, maps);
            path.pop();
            if !required.contains(&name) {
                p = nullable(p);
            }
            new_props.insert(name, p);
        }
        let all: Vec<Value> = new_props.keys().cloned().map(Value::from).collect();
        o.insert("properties".into(), Value::Object(new_props));
        o.insert("required".into(), Value::Array(all));
        o.insert("additionalProperties".into(), Value::Bool(false));
        o.insert("type".into(), Value::from("object"));
    }
    if let Some(items) = o.get_mut("items") {
        path.push("[]".into());
        convert(items, path, maps);
        path.pop();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = o.get_mut(key) {
            for a in alts {
                convert(a, path, maps);
            }
        }
    }
    // Strict mode takes anyOf, not oneOf (our alternatives never overlap, so they mean the same).
    if let Some(alts) = o.remove("oneOf") {
        o.insert("anyOf".into(), alts);
    }
    // Nothing may stand beside a $ref.
    if o.contains_key("$ref") && o.len() > 1 {
        let reference = o.remove("$ref").unwrap_or_default();
        o.insert("anyOf".into(), json!([{"$ref": reference}]));
    }
}

/// `p`, also accepting null.
fn nullable(mut p: Value) -> Value {
    let Some(o) = p.as_object_mut() else {
        return p;
    };
    if let Some(Value::Array(values)) = o.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
    let ty = o.get("type").cloned();
    match ty {
        Some(Value::String(t)) => {
            o.insert("type".into(), json!([t, "null"]));
            return p;
        }
        Some(Value::Array(mut ts)) => {
            if !ts.iter().any(|t| t == "null") {
                ts.push(Value::from("null"));
            }
            o.insert("type".into(), Value::Array(ts));
            return p;
        }
        _ => {}
    }
    if let Some(Value::Array(alts)) = o.get_mut("anyOf") {
        if !alts.iter().any(|a| a["type"] == "null") {
            alts.push(json!({"type": "null"}));
        }
        return p;
    }
    let description = o.remove("description");
    let mut wrapped = json!({"anyOf": [p, {"type": "null"}]});
    if let Some(d) = description {
        wrapped["description"] = d;
    }
    wrapped
}

/// Arguments a strict model sent, as our parsers take them: every null (an absent optional
/// field) dropped, and the entry lists at `maps` turned back into maps.
pub fn arguments(text: &str, maps: &[Vec<String>]) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else {
        // Malformed arguments go to the executor as they are: it explains what is wrong.
        return text.to_string();
    };
    drop_nulls(&mut v);
    for path in maps {
        unmap(&mut v, path);
    }
    v.to_string()
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn unmap(v: &mut Value, path: &[String]) {
    match path.split_first() {
        None => {
            if let Value::Array(entries) = v {
                let mut map = Map::new();
                for e in entries.drain(..) {
                    if let (Some(k), Some(val)) =
                        (e.get("key").and_then(Value::as_str), e.get("value"))
                    {
                        map.insert(k.to_string(), val.clone());
                    }
                }
                *v = Value::Object(map);
            }
        }
        Some((first, rest)) if first == "[]" => {
            if let Value::Array(items) = v {
                for i in items {
                    unmap(i, rest);
                }
            }
        }
        Some((first, rest)) => {
            if let Some(x) = v.get_mut(first.as_str()) {
                unmap(x, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_close_optional_fields_become_nullable_and_maps_become_lists() {
        let s = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Name."},
                "count": {"type": "integer", "minimum": 1, "default": 3},
                "kind": {"$ref": "#/$defs/Kind", "description": "Kind."},
                "targets": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Kind"}}
            },
            "required": ["name", "targets"],
            "$defs": {"Kind": {"type": "string", "enum": ["a", "b"]}}
        });
        let strict = schema(&s);
        let p = &strict.schema["properties"];
        assert_eq!(strict.schema["additionalProperties"], false);
        assert_eq!(strict.schema["required"].as_array().map(Vec::len), Some(4));
        assert_eq!(p["count"]["type"], json!(["integer", "null"]));
        assert!(p["count"].get("minimum").is_none() && p["count"].get("default").is_none());
        assert_eq!(p["count"]["description"], "default 3, at least 1.");
        assert_eq!(p["kind"]["anyOf"][1]["type"], "null");
        assert_eq!(p["kind"]["description"], "Kind.");
        assert_eq!(p["targets"]["type"], "array");
        assert_eq!(strict.maps, vec![vec!["targets".to_string()]]);

        let back = arguments(
            r#"{"name":"x","count":null,"kind":null,"targets":[{"key":"AP1","value":"a"}]}"#,
            &strict.maps,
        );
        assert_eq!(
            serde_json::from_str::<Value>(&back).unwrap(),
            json!({"name": "x", "targets": {"AP1": "a"}})
        );
        assert_eq!(arguments("{not json", &strict.maps), "{not json");
    }
}
