import { Aws } from 'aws-cdk-lib';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { FleetRouting } from '@ocf/routing';
import { acknowledge } from '../nag.ts';

/**
 * TLS between the fleet's own services, with certificates nobody handles (ADR 0026): an AWS
 * Private CA in short-lived-certificate mode, and ECS Service Connect, whose proxy in each task
 * gets a certificate from it, rotates it every few days, and speaks TLS 1.3 to the other side.
 * The applications keep speaking plain HTTP to their own task's proxy (loopback, inside the task).
 *
 * Short-lived mode: certificates live at most seven days, so none is ever revoked (Service Connect
 * does not check revocation anyway), and the CA costs a fraction of a general-purpose one.
 */
export class InternalTls extends Construct {
  /** What a Service Connect service sets as its `tls`. */
  readonly serviceConnectTls: ecs.ServiceConnectTlsConfiguration;
  readonly authorityArn: string;

  constructor(scope: Construct, id: string, props: { readonly routing: FleetRouting }) {
    super(scope, id);
    const authority = new acmpca.CfnCertificateAuthority(this, 'Authority', {
      type: 'ROOT',
      keyAlgorithm: 'EC_prime256v1',
      signingAlgorithm: 'SHA256WITHECDSA',
      usageMode: 'SHORT_LIVED_CERTIFICATE',
      subject: { commonName: `${props.routing.prefix} service-to-service`, organization: 'Open-Claw-Fleet' },
      // No revocation: short-lived certificates expire before a list would matter.
      revocationConfiguration: {
        crlConfiguration: { enabled: false },
        ocspConfiguration: { enabled: false },
      },
    });
    const root = new acmpca.CfnCertificate(this, 'RootCertificate', {
      certificateAuthorityArn: authority.attrArn,
      certificateSigningRequest: authority.attrCertificateSigningRequest,
      signingAlgorithm: 'SHA256WITHECDSA',
      templateArn: `arn:${Aws.PARTITION}:acm-pca:::template/RootCACertificate/V1`,
      validity: { type: 'YEARS', value: 10 },
    });
    new acmpca.CfnCertificateAuthorityActivation(this, 'Activation', {
      certificateAuthorityArn: authority.attrArn,
      certificate: root.attrCertificate,
      status: 'ACTIVE',
    });
    this.authorityArn = authority.attrArn;

    // ECS itself (not a task) asks the CA for each proxy's certificate and keeps its key in
    // Secrets Manager: the AWS-managed policy is exactly that set of calls, kept current by AWS.
    const role = new iam.Role(this, 'InfrastructureRole', {
      description: "ECS Service Connect: issues and rotates the proxies' TLS certificates from the fleet CA",
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName(
          'service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity',
        ),
      ],
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity]',
      'Service Connect TLS needs exactly the calls of this AWS-managed policy (issue, describe and store certificates); AWS keeps it in step with what ECS calls.',
    );
    this.serviceConnectTls = { awsPcaAuthorityArn: authority.attrArn, role };
  }
}
