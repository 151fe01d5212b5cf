"""The agent's Escalate app in the stack (`-c connectInstanceAlias=...`): private bucket behind CloudFront
with origin access control, the security headers, managed login with code + PKCE, the API's CORS origin,
the Agent Workspace registration; and the stack without it (no alias: a synth warning; desktopApp=false:
nothing, silently)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from escalation import contract
from infra.app_builder import build_app
from infra.config import ContextError, StackConfig
from tests.infra.infra_support import (
    INSTANCE_ID,
    Synth,
    as_list,
    assert_cfn_lint_clean,
    assert_every_acknowledgment_is_still_raised,
    assert_no_nag_findings,
    preflight_headers,
    rendered,
    synthesize,
)

pytestmark = pytest.mark.infra

ALIAS = "acme-support"
APP_TYPES = (
    "AWS::CloudFront::Distribution",
    "AWS::S3::Bucket",
    "AWS::AppIntegrations::Application",
    "AWS::Connect::IntegrationAssociation",
    "AWS::Cognito::UserPoolDomain",
    "Custom::CDKBucketDeployment",
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for desktop/dist (the real one is built by `make desktop`)."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>Escalate</title>")
    (dist / "app.js").write_text("export {};")
    return dist


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory, bundle: Path) -> Synth:
    context = {"connectInstanceId": INSTANCE_ID, "connectInstanceAlias": ALIAS, "desktopDist": str(bundle)}
    return synthesize(context, tmp_path_factory.mktemp("cdk-app"))


@pytest.fixture(scope="module")
def without_alias(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize({"connectInstanceId": INSTANCE_ID}, tmp_path_factory.mktemp("cdk-no-alias"))


@pytest.fixture(scope="module")
def app_off(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {"connectInstanceId": INSTANCE_ID, "connectInstanceAlias": ALIAS, "desktopApp": "false"}
    return synthesize(context, tmp_path_factory.mktemp("cdk-app-off"))


def distribution_domain(synth: Synth) -> dict[str, Any]:
    logical_id, _ = synth.one("AWS::CloudFront::Distribution")
    return {"Fn::GetAtt": [logical_id, "DomainName"]}


def test_checks_cdk_nag_and_cfn_lint_pass(synth: Synth) -> None:
    assert_no_nag_findings(synth)
    assert_every_acknowledgment_is_still_raised(synth)
    assert_cfn_lint_clean(synth)


def test_the_bucket_is_private_and_only_cloudfront_reads_it(synth: Synth) -> None:
    _, bucket = synth.one("AWS::S3::Bucket")
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    _, policy = synth.one("AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    reads = [s for s in statements if s["Effect"] == "Allow"]
    assert len(reads) == 1
    (read,) = reads
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert as_list(read["Action"]) == ["s3:GetObject"]
    # Only this distribution (origin access control's condition), never a public or OAI principal.
    source = read["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert rendered(source).endswith(f":distribution/<{synth.one('AWS::CloudFront::Distribution')[0]}>")
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert {"aws:SecureTransport": "false"} in [s["Condition"].get("Bool") for s in denies]


def test_the_distribution_is_https_only_through_origin_access_control(synth: Synth) -> None:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    assert config["DefaultRootObject"] == "index.html"
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    _, control = synth.one("AWS::CloudFront::OriginAccessControl")
    assert control["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"


def test_the_headers_let_only_the_instances_agent_workspace_frame_the_app_and_set_hsts(synth: Synth) -> None:
    _, policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = rendered(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in csp.split("; ")}
    assert directives["frame-ancestors"] == (
        f"'self' https://{ALIAS}.my.connect.aws https://{ALIAS}.awsapps.com"
    )
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == (
        "'self' https://*.execute-api.<AWS::Region>.<AWS::URLSuffix> https://*.auth.<AWS::Region>.amazoncognito.com"
    )
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 31536000,
        "IncludeSubdomains": True,
        "Override": True,
    }
    assert "FrameOptions" not in security  # X-Frame-Options would keep Agent Workspace out
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {
        "Ref": synth.one("AWS::CloudFront::ResponseHeadersPolicy")[0]
    }


def test_managed_login_signs_in_with_the_code_grant_back_to_the_app_only(synth: Synth) -> None:
    _, domain = synth.one("AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["ManagedLoginVersion"] == 2
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"]  # no implicit grant
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["GenerateSecret"] is False  # a public client: the browser keeps no secret, PKCE instead
    app_url = {"Fn::Join": ["", ["https://", distribution_domain(synth), "/"]]}
    assert props["CallbackURLs"][0] == app_url
    assert props["LogoutURLs"][0] == app_url
    assert len(props["CallbackURLs"]) == 2  # "/" and "/index.html" of the same distribution
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    _, branding = synth.one("AWS::Cognito::ManagedLoginBranding")
    assert branding["Properties"]["UseCognitoProvidedValues"] is True


def test_the_apis_cors_origin_is_the_app(synth: Synth) -> None:
    origin = {"Fn::Join": ["", ["https://", distribution_domain(synth)]]}
    handlers = [
        f
        for f in synth.resources("AWS::Lambda::Function").values()
        if contract.EnvVar.DESKTOP_ORIGIN in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    (handler,) = handlers
    assert handler["Properties"]["Environment"]["Variables"][contract.EnvVar.DESKTOP_ORIGIN] == origin
    allowed = {
        json.dumps(h["method.response.header.Access-Control-Allow-Origin"]) for h in preflight_headers(synth)
    }
    assert allowed == {json.dumps({"Fn::Join": ["", ["'https://", distribution_domain(synth), "'"]]})}


def test_the_app_is_registered_per_contact_with_its_two_permissions(synth: Synth) -> None:
    app_id, application = synth.one("AWS::AppIntegrations::Application")
    props = application["Properties"]
    external = props["ApplicationSourceConfig"]["ExternalUrlConfig"]
    assert external["AccessUrl"] == {"Fn::Join": ["", ["https://", distribution_domain(synth), "/"]]}
    assert external["ApprovedOrigins"] == [{"Fn::Join": ["", ["https://", distribution_domain(synth)]]}]
    assert props["ApplicationConfig"] == {"ContactHandling": {"Scope": "PER_CONTACT"}}
    assert sorted(props["Permissions"]) == ["Contact.Details.View", "User.Details.View"]
    assert props["Namespace"] == "escalation-dev"
    _, association = synth.one("AWS::Connect::IntegrationAssociation")
    assert association["Properties"]["IntegrationType"] == "APPLICATION"
    assert association["Properties"]["IntegrationArn"] == {"Fn::GetAtt": [app_id, "ApplicationArn"]}
    assert rendered(association["Properties"]["InstanceId"]) == (
        f"arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/{INSTANCE_ID}"
    )


def test_the_bundle_and_its_config_are_deployed_and_the_cache_invalidated(synth: Synth) -> None:
    _, deployment = synth.one("Custom::CDKBucketDeployment")
    props = deployment["Properties"]
    assert len(props["SourceObjectKeys"]) == 2  # the bundle and config.json
    assert props["DistributionPaths"] == ["/*"]
    assert props["Prune"] is True
    config_markers = json.dumps(props["SourceMarkers"])
    # config.json's deploy-time values: the API's stage URL, the managed-login domain, the app client.
    for value in ("ApiRestApi", ".amazoncognito.com", "ApiUserPoolDesktopClient"):
        assert value in config_markers, value
    outputs = synth.raw["Outputs"]
    assert outputs["AgentWorkspaceNamespace"]["Value"] == "escalation-dev"


def test_without_the_alias_no_app_is_deployed_and_synth_says_how_to_add_it(without_alias: Synth) -> None:
    for cfn_type in APP_TYPES:
        assert without_alias.resources(cfn_type) == {}, cfn_type
    _, client = without_alias.one("AWS::Cognito::UserPoolClient")
    assert "AllowedOAuthFlows" not in client["Properties"]
    Annotations.from_stack(without_alias.stack).has_warning(
        "*", Match.string_like_regexp("-c connectInstanceAlias=<alias>")
    )


def test_desktop_app_false_deploys_none_of_it_even_with_the_alias(app_off: Synth) -> None:
    for cfn_type in APP_TYPES:
        assert app_off.resources(cfn_type) == {}, cfn_type
    Annotations.from_stack(app_off.stack).has_no_warning("*", Match.string_like_regexp("Escalate app"))


def test_a_missing_bundle_stops_synth_saying_how_to_build_it(tmp_path: Path) -> None:
    context = {"connectInstanceId": INSTANCE_ID, "connectInstanceAlias": ALIAS, "desktopDist": str(tmp_path)}
    with pytest.raises(ContextError, match="make desktop"):
        build_app(context, outdir=str(tmp_path / "out"), nag=False)


class _Context(dict[str, Any]):
    def try_get_context(self, key: str) -> Any:
        return self.get(key)


@pytest.mark.parametrize(
    "alias", ["d-1234567890", "bad_alias", "-acme", "a" * 46, "https://acme.my.connect.aws"]
)
def test_a_malformed_alias_is_refused(alias: str) -> None:
    with pytest.raises(ContextError, match="connectInstanceAlias"):
        StackConfig.from_context(_Context(connectInstanceId=INSTANCE_ID, connectInstanceAlias=alias))


def test_the_app_needs_the_stacks_own_pool() -> None:
    config = StackConfig.from_context(
        _Context(
            connectInstanceId=INSTANCE_ID,
            connectInstanceAlias="Acme",
            userPoolId="eu-west-1_abc",
            userPoolClientIds="client1",
        )
    )
    assert config.connect_instance_alias == "acme"
    assert config.deploys_desktop_app is False


def test_desktop_origin_still_overrides_the_apis_cors_origin(tmp_path: Path, bundle: Path) -> None:
    override = "https://desk.example.com"
    context = {
        "connectInstanceId": INSTANCE_ID,
        "connectInstanceAlias": ALIAS,
        "desktopDist": str(bundle),
        "desktopOrigin": override,
    }
    app, stack = build_app(context, outdir=str(tmp_path), nag=False)
    template = app.synth().get_stack_artifact(stack.artifact_id).template
    handlers = [
        r["Properties"]["Environment"]["Variables"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and contract.EnvVar.DESKTOP_ORIGIN in r["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert [env[contract.EnvVar.DESKTOP_ORIGIN] for env in handlers] == [override]
    # The app itself is still served and registered.
    assert any(r["Type"] == "AWS::AppIntegrations::Application" for r in template["Resources"].values())


def test_synth_for_an_account_and_region_needs_no_other_acknowledgment(
    tmp_path: Path, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `cdk synth` does with credentials: literal Region and partition in the ARNs cdk-nag prints.
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    context = {"connectInstanceId": INSTANCE_ID, "connectInstanceAlias": ALIAS, "desktopDist": str(bundle)}
    assert_no_nag_findings(synthesize(context, tmp_path))  # synthesize itself fails on a finding
