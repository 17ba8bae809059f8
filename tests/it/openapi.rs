//! Checks JSON against the official OpenAPI contract's schemas (`shared/reference/worldline-direct-openapi-v2.yaml`,
//! copied to `tests/data/`). Strict mode also refuses properties that the contract does not declare, so a misspelt
//! name (`operations` for `Operations`) fails instead of being silently ignored.

use std::sync::OnceLock;

use serde_json::{Value, json};

fn components() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = include_str!("../data/worldline-direct-openapi-v2.yaml");
        let yaml: Value = serde_yaml::from_str(text).expect("the contract is valid YAML");
        let mut components = yaml
            .get("components")
            .cloned()
            .expect("the contract has components");
        forbid_undeclared(&mut components);
        components
    })
}

/// Adds `additionalProperties: false` to every object schema that lists its properties.
fn forbid_undeclared(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let declares = map.get("properties").is_some_and(Value::is_object);
            if declares && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, child) in map.iter_mut() {
                forbid_undeclared(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_undeclared),
        _ => {}
    }
}

/// The validation errors of `instance` against `#/components/schemas/{schema}`, as readable lines.
pub fn errors(schema: &str, instance: &Value) -> Vec<String> {
    let root = json!({
        "$ref": format!("#/components/schemas/{schema}"),
        "components": components(),
    });
    let validator = jsonschema::validator_for(&root).expect("the contract's schemas compile");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Panics with every error if `instance` does not match the named schema of the contract.
#[track_caller]
pub fn assert_valid(schema: &str, instance: &Value) {
    let errs = errors(schema, instance);
    assert!(
        errs.is_empty(),
        "{schema} does not match the contract:\n{}\n{instance:#}",
        errs.join("\n")
    );
}

#[test]
fn strict_mode_catches_a_misspelt_property() {
    assert_valid(
        "amountOfMoney",
        &json!({"amount": 1750, "currencyCode": "EUR"}),
    );
    assert!(!errors("amountOfMoney", &json!({"amount": 1750, "currency": "EUR"})).is_empty());
    assert!(
        !errors(
            "amountOfMoney",
            &json!({"amount": "17,50", "currencyCode": "EUR"})
        )
        .is_empty()
    );
}
