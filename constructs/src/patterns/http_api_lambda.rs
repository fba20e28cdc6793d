//! [`HttpApiLambda`]: a Lambda function behind an HTTP API.

use crate::apigateway::{HttpApi, HttpApiProps};
use crate::lambda::{Function, FunctionProps};
use crate::stack::{Construct, NodeId, Scope};
use crate::value::Value;

/// Properties of [`HttpApiLambda`].
#[derive(Clone, Debug)]
pub struct HttpApiLambdaProps {
    /// The function (see [`FunctionProps`]: its own log group kept one year, a role with inline permissions
    /// only, active tracing).
    pub function: FunctionProps,
    /// The API. Default [`HttpApiProps::default`]: IAM authorization (SigV4-signed callers), a `$default`
    /// stage with JSON access logs kept one year, throttling at 100 burst / 50 per second.
    pub api: HttpApiProps,
    /// Route keys sent to the function, `$default` or `<METHOD> /<path>` (default `["$default"]`: every
    /// request). Each gets an invoke permission scoped to that route of this API.
    pub route_keys: Vec<String>,
}

impl HttpApiLambdaProps {
    pub fn new(function: FunctionProps) -> Self {
        HttpApiLambdaProps {
            function,
            api: HttpApiProps::default(),
            route_keys: vec!["$default".to_owned()],
        }
    }
}

/// A Lambda function (child `Function`) behind an HTTP API (child `Api`) with a Lambda proxy integration
/// for each route key. The function is invoked synchronously (errors return to the caller), so it needs no
/// dead-letter queue.
#[derive(Clone, Debug)]
pub struct HttpApiLambda {
    function: Function,
    api: HttpApi,
    node: NodeId,
    path: String,
}

impl HttpApiLambda {
    pub fn new(scope: &mut Scope, id: &str, props: HttpApiLambdaProps) -> HttpApiLambda {
        let mut child = scope.child(id);
        if props.route_keys.is_empty() {
            child.error("route_keys is empty: give at least one route key (\"$default\" routes every request)");
        }
        let function = Function::new(&mut child, "Function", props.function);
        let api = HttpApi::new(&mut child, "Api", props.api);
        for key in &props.route_keys {
            api.add_lambda_route(child.stack(), key, &function);
        }
        HttpApiLambda {
            function,
            api,
            node: child.node_id(),
            path: child.path(),
        }
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    pub fn api(&self) -> &HttpApi {
        &self.api
    }

    /// The invoke URL of the API's `$default` stage.
    pub fn url(&self) -> Value<String> {
        self.api.url()
    }
}

impl Construct for HttpApiLambda {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertions::{Match, Template};
    use crate::lambda::Code;
    use crate::Stack;
    use serde_json::json;

    fn function() -> FunctionProps {
        FunctionProps {
            code: Code::Inline("def handler(event, context):\n    return {}\n".to_owned()),
            ..FunctionProps::default()
        }
    }

    #[test]
    fn routes_every_request_to_the_function_with_iam_authorization() {
        let mut stack = Stack::new("Api");
        let api = HttpApiLambda::new(&mut stack.root(), "Echo", HttpApiLambdaProps::new(function()));
        assert_eq!(api.path(), "Echo");
        let t = Template::from_stack(&stack).unwrap();
        t.resource_count_is("AWS::Lambda::Function", 1).unwrap();
        t.resource_count_is("AWS::ApiGatewayV2::Api", 1).unwrap();
        t.has_resource_properties(
            "AWS::ApiGatewayV2::Route",
            Match::object_like(json!({"RouteKey": "$default", "AuthorizationType": "AWS_IAM"})),
        )
        .unwrap();
        t.has_resource_properties(
            "AWS::Lambda::Permission",
            Match::object_like(json!({"Principal": "apigateway.amazonaws.com"})),
        )
        .unwrap();
        // Access logs and the function's logs are kept one year.
        for (_, g) in t.find_resources("AWS::Logs::LogGroup") {
            assert_eq!(g["Properties"]["RetentionInDays"], 365);
        }
    }

    #[test]
    fn one_route_per_key_and_no_keys_is_an_error() {
        let mut stack = Stack::new("Api");
        let mut props = HttpApiLambdaProps::new(function());
        props.route_keys = vec!["GET /items".to_owned(), "POST /items".to_owned()];
        HttpApiLambda::new(&mut stack.root(), "Items", props);
        Template::from_stack(&stack)
            .unwrap()
            .resource_count_is("AWS::ApiGatewayV2::Route", 2)
            .unwrap();

        let mut stack = Stack::new("Api");
        let mut props = HttpApiLambdaProps::new(function());
        props.route_keys.clear();
        HttpApiLambda::new(&mut stack.root(), "None", props);
        let Err(err) = Template::from_stack(&stack) else {
            panic!("expected an error");
        };
        let err = err.to_string();
        assert!(err.contains("Api/None") && err.contains("route_keys is empty"), "{err}");
    }
}
