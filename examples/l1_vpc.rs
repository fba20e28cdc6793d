//! A VPC with two public subnets in two Availability Zones, written with the generated L1 resource types
//! only: every property name and required property is checked by the compiler, and references are typed
//! handles, not strings.
//!
//! ```sh
//! cargo run --example l1_vpc -- synth --out out/l1_vpc
//! ```

use proton_synth::app::App;
use proton_synth::constructs::cfn::ec2;
use proton_synth::constructs::{fns, Output, Parameter, Stack, Value};

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut stack = Stack::new("L1Vpc");
    stack.set_description("VPC with two public subnets (L1 resources)");
    let mut root = stack.root();

    let env_name = root.add_parameter(
        "EnvironmentName",
        Parameter::string()
            .description("Name used to tag and export the network")
            .default_value("dev")
            .allowed_pattern("^[a-z][a-z0-9-]{0,20}$"),
    );

    let vpc = root.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            enable_dns_hostnames: Some(true.into()),
            enable_dns_support: Some(true.into()),
            ..ec2::Vpc::new()
        },
    );
    let igw = root.add("InternetGateway", ec2::InternetGateway::new());
    let attachment = root.add(
        "GatewayAttachment",
        ec2::VpcGatewayAttachment {
            internet_gateway_id: Some(igw.r#ref()),
            ..ec2::VpcGatewayAttachment::new(vpc.r#ref())
        },
    );
    let route_table = root.add("PublicRouteTable", ec2::RouteTable::new(vpc.r#ref()));
    let route = root.add(
        "PublicDefaultRoute",
        ec2::Route {
            destination_cidr_block: Some("0.0.0.0/0".into()),
            gateway_id: Some(igw.r#ref()),
            ..ec2::Route::new(route_table.r#ref())
        },
    );

    let mut subnet_ids: Vec<Value<String>> = Vec::new();
    for (i, cidr) in ["10.0.0.0/24", "10.0.1.0/24"].into_iter().enumerate() {
        let mut scope = root.child(&format!("PublicSubnet{}", i + 1));
        let subnet = scope.add(
            "Subnet",
            ec2::Subnet {
                cidr_block: Some(cidr.into()),
                availability_zone: Some(fns::select(i as u32, fns::get_azs())),
                ..ec2::Subnet::new(vpc.r#ref())
            },
        );
        scope.add(
            "RouteTableAssociation",
            ec2::SubnetRouteTableAssociation::new(route_table.r#ref(), subnet.r#ref()),
        );
        subnet_ids.push(subnet.r#ref());
    }

    root.add_output(
        "VpcId",
        Output::new(vpc.r#ref())
            .description("The VPC")
            .export(fns::sub("${Env}-VpcId", [("Env", env_name.r#ref().into_expr())])),
    );
    root.add_output(
        "PublicSubnetIds",
        Output::new(fns::join(",", subnet_ids)).description("Comma-separated public subnet ids"),
    );
    // The default route needs the gateway attached first.
    stack.add_dependency(&route, &attachment);

    let mut app = App::new("l1-vpc");
    app.add_stack(stack);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
