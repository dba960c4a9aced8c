// Keys for the WeChat Pay tests. RSA key pairs are made here with node:crypto; the one X.509 platform certificate
// (self-signed, serial 5157F09E…, valid until 2126) was made once with openssl, since node:crypto cannot issue
// certificates, and is a test fixture only: its private key signs nothing outside these tests.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

export function rsaKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export const platformCertificateSerial = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

export const platformCertificatePem = `-----BEGIN CERTIFICATE-----
MIIDrTCCApWgAwIBAgIUUVfwnv3Alt4V6+gaRwV6cjLxuOEwDQYJKoZIhvcNAQEL
BQAwZTELMAkGA1UEBhMCQ04xEzARBgNVBAoMClRlbnBheS5jb20xHTAbBgNVBAsM
FFRlbnBheS5jb20gQ0EgQ2VudGVyMSIwIAYDVQQDDBlUZXN0IFBsYXRmb3JtIENl
cnRpZmljYXRlMCAXDTI2MTEyMjA4NTcyN1oYDzIxMjYxMDI5MDg1NzI3WjBlMQsw
CQYDVQQGEwJDTjETMBEGA1UECgwKVGVucGF5LmNvbTEdMBsGA1UECwwUVGVucGF5
LmNvbSBDQSBDZW50ZXIxIjAgBgNVBAMMGVRlc3QgUGxhdGZvcm0gQ2VydGlmaWNh
dGUwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC8936MvUpKgdjkwG4e
hDLlB5ThDL7g19WmqRXP5WXmg7ajE+5yNojTSIYIFlN9CfniLSKY3HgJ2rpNNnbT
cPkG0WZOTBcAZmG1oaVREsu6rBQGFC2ugV9CdfRPx5GHlEUCcUMM+P2fIj02FrQS
OdrtK2mCKoteaehvJrRcOtL170dqKoExuHNzWeTj9+pJQguUiiopEs2UeMujfUYG
DCqmgO7GxKBClpMfxLUzB0N0DUpKBX//fTYQOHIJI4zcTufxPC6D2SWzk7kYC0f8
uFkyPO9AJF4Sp4HPYdgiVkrpUxus1BTxr240+boVXvn63ziYScsbVSLo6oHo3M6E
TqydAgMBAAGjUzBRMB0GA1UdDgQWBBRoOImD9X9IbUo9xAHs0OWEnN5DSzAfBgNV
HSMEGDAWgBRoOImD9X9IbUo9xAHs0OWEnN5DSzAPBgNVHRMBAf8EBTADAQH/MA0G
CSqGSIb3DQEBCwUAA4IBAQCFyV0XxbmpTPUsPYKGMtuX/nB9ObrNwhqhE66yM54i
fAdsjTGEuZKa8trrxNgj7mjV5581KFt8uPVcqjRl+uelbVYUJ1j+kWQP2jYbncQh
HgVRDihC+SxOoXSmCZQwBSlkGhmIdt/DnUyD10yBDW/YHFclvUAoVpHDwp9ec3lR
g8/Oe77nmhbKKzl6X7WobBGK3n80tiEv5EL7MbB/JwDgDTnTQ/JBzxYM1I8Yw20z
24Qcadsxu+Yf3p35M7M/V8LeH3njq/O4mq8nKLpmQgVrvdANhN68AUVgyE98Cor2
k0ap0/Rqk+zEXDWACMRhStLPLS8hoiochyKqR5XRQacl
-----END CERTIFICATE-----
`;

export const platformCertificatePrivatePem = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC8936MvUpKgdjk
wG4ehDLlB5ThDL7g19WmqRXP5WXmg7ajE+5yNojTSIYIFlN9CfniLSKY3HgJ2rpN
NnbTcPkG0WZOTBcAZmG1oaVREsu6rBQGFC2ugV9CdfRPx5GHlEUCcUMM+P2fIj02
FrQSOdrtK2mCKoteaehvJrRcOtL170dqKoExuHNzWeTj9+pJQguUiiopEs2UeMuj
fUYGDCqmgO7GxKBClpMfxLUzB0N0DUpKBX//fTYQOHIJI4zcTufxPC6D2SWzk7kY
C0f8uFkyPO9AJF4Sp4HPYdgiVkrpUxus1BTxr240+boVXvn63ziYScsbVSLo6oHo
3M6ETqydAgMBAAECggEACQS3z7A2BDXLu+kaKE8vXaJdvtrcnj72xaAyuAwO77Aw
DnrkSaOkJo9CxE6KeAB6okp8qPZ2rSO4+ffkNmWhIOvr+cckXuLD/YbkLKkcu4E8
aGjcoEQw32thOFCCN8oB/CKbLFqSwh5AdR0ixW7o7aJBhBKTObOMwgdDGta83DtU
6t65b0BgwvNT6v2a1TDwSrb06SwU4YvRKVmhrMOmk+Hurt1yJlKzmt/UQFJT23kW
bPeHUoY+C/FfpWskupO9zPotWa1CkqI98cFr5J2D7fgyBtpqxgk6DrzHIht1koe/
qGlzLQKS53p3eygTy8/3sTkTC2mjqzK6rtK2udo9IQKBgQDtpopO9lZfZtTVr3ek
NnIk+2LhcaQ3pZ95YAWjpRUk//0341rqkA3AF3sHwpQKK8+uOhFL93GJ+HyHevap
gHh4mFLigPNZw5SjU0pWBBSTVXn2mU18pA90q8er89TZFrZUyVbbVwvKhtRMrcXP
L0taFYC/pvzOa9M+ggvBe/WX/QKBgQDLjqiUx2ZAYjUQUyv23IEVIwGKt2REurdL
6Bna3MY2cxe7KTf8ZFyCcmN9gUNuLBwkYCsucOM2izpicFFr0nqM1epaxsA1PlxN
sP+WcRYm2nrniqB7dAlsbvornj2zYj/yJxD5UNU0kT50qJntmjjf00gNB/aYzded
on4DGmX5IQKBgQDDz7ggLaqnOsRdORG8VTwhqpwjo44qZ6YJzQt4dboBXYdXuFYd
9QnPX8l4cGOoKccaCDBeRojfpMV+n9uDeB5LRz7r8FISgSsEk8kpLH2DlCdE/7Wv
4EH34N5JmUOkh6k+HRMa8RL/Ea71ay0UdCSDGjqWL1IYBxHsbByhlLCcRQKBgEtE
d89zn7qE1cwwhNwmEtDm/cX2I+xKAkbeDtlfsyclDYxWJG5+CbruYx1gM7fENa+5
o53rfgiIGNGXaHPvAwOagaqJPT8yzNypawiMzj0VokaFeuvLL0TaEEUaoQP4e16l
1V/q5LsoTajDQw+ZbBhPPqAa5rL/wg92qxOoqjYhAoGBAJiW2HYkwaLNtdu5rfA3
QAGwaYW1AKnCjIPPtCCqhj2z9ZQIseyXjpiaMqIGJ3QRmYBzMgglSDWzoqt6HfEa
nh7sldScPqS+mPQJh1vBucYhB1zmpJnKSPjrCQXMhnqr7haiDwx4BIUsp0AhjrMu
mwYzhYWmu3ZwVp4pxe0rA1Wg
-----END PRIVATE KEY-----
`;
