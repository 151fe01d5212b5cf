"""The agent's Escalate app on the web: a private S3 bucket behind CloudFront (origin access control,
HTTPS only), with security headers that let only the instance's Agent Workspace frame it; the bundle
from desktop/dist and its config.json (the API, the managed-login domain, the app client)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.config import ContextError

# What the app needs of the page it is served as (desktop/build.mjs writes these).
INDEX = "index.html"
CONFIG_FILE = "config.json"  # read by the app at start (desktop/src/config.ts)
HSTS_MAX_AGE = Duration.days(365)


def workspace_origins(alias: str) -> list[str]:
    """The origins Agent Workspace runs on for an instance alias: `<alias>.my.connect.aws`, and the
    older `<alias>.awsapps.com` that instances created before the new domain still use."""
    return [f"https://{alias}.my.connect.aws", f"https://{alias}.awsapps.com"]


def content_security_policy(alias: str) -> str:
    """As strict as the bundle allows: its own scripts and styles only, no inline code; API and sign-in
    calls to this Region's API Gateway and Cognito domains; framed only by Agent Workspace.

    The API's and the managed-login domain's exact hosts are not named: the API's CORS origin is this
    distribution, so naming the API here would make each wait for the other.
    """
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' https://*.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX} "
            f"https://*.auth.{Aws.REGION}.amazoncognito.com",
            f"frame-ancestors 'self' {' '.join(workspace_origins(alias))}",
            "form-action 'self'",
            "base-uri 'self'",
            "object-src 'none'",
        )
    )


def bundle_source(dist: Path) -> s3deploy.ISource:
    """The built app as a synth-time asset (zipped by the CDK, no Docker); a clear error without it."""
    if not (dist / INDEX).is_file():
        raise ContextError(
            f"The Escalate app is not built: {dist / INDEX} is missing. Build it with `make desktop` "
            "(make synth does), or deploy without the app: -c desktopApp=false."
        )
    return s3deploy.Source.asset(str(dist), exclude=[CONFIG_FILE])


@dataclass(frozen=True)
class AppSettings:
    """What the app's config.json holds; deploy-time values (tokens) are fine."""

    api_url: str
    cognito_domain: str
    client_id: str


class DesktopHosting(Construct):
    """The bucket and the distribution; `deploy` puts the bundle and its config.json in place."""

    def __init__(self, scope: Construct, construct_id: str, *, alias: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Emptied by the deployment when it is deleted (retain_on_delete=False below).
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Escalate app: CSP framed by Agent Workspace only, HSTS",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(alias), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Escalate app for Amazon Connect Agent Workspace",
            default_root_object=INDEX,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
            ),
        )

    @property
    def origin(self) -> str:
        """The app's origin, `https://<distribution>.cloudfront.net` (a deploy-time value)."""
        return f"https://{self.distribution.distribution_domain_name}"

    @property
    def url(self) -> str:
        """Where the app is opened (Agent Workspace's access URL, the sign-in callback)."""
        return f"{self.origin}/"

    def deploy(self, dist: Path, settings: AppSettings) -> s3deploy.BucketDeployment:
        """The bundle and its config.json into the bucket; CloudFront's copies invalidated."""
        config = s3deploy.Source.json_data(
            CONFIG_FILE,
            {
                "apiUrl": settings.api_url,
                "cognitoDomain": settings.cognito_domain,
                "clientId": settings.client_id,
            },
        )
        return s3deploy.BucketDeployment(
            self,
            "Bundle",
            destination_bucket=self.bucket,
            sources=[bundle_source(dist), config],
            distribution=self.distribution,
            distribution_paths=["/*"],
            retain_on_delete=False,
            memory_limit=256,
        )
