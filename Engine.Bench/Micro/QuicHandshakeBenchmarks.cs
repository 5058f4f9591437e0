using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using NSec.Cryptography;

namespace Engine.Bench.Micro;

/// <summary>
/// A complete QUIC + TLS 1.3 handshake between a new client and server endpoint pair over a
/// lossless in-memory link (<see cref="InMemoryQuicPair"/>, 1 ms one way, virtual clock), run
/// until the client's handshake is confirmed and the server's complete. The certificate is
/// ECDSA P-256, pinned by hash on the client (no chain building); key exchange X25519.
/// Baseline: the public-key work no handshake can avoid, done directly — two fresh X25519 key
/// pairs, both agreements, one ECDSA P-256/SHA-256 sign and one verify over 100 bytes — so the
/// ratio is the handshake's cost in multiples of its unavoidable crypto (the rest is TLS
/// messages, the key schedule, packet protection of ~10 datagrams, connection and endpoint setup).
/// </summary>
public class QuicHandshakeBenchmarks
{
    private static readonly KeyAgreementAlgorithm X25519 = KeyAgreementAlgorithm.X25519;

    private readonly byte[] _signedContent = new byte[100];
    private X509Certificate2 _certificate = null!;
    private ECDsa _signingKey = null!;
    private ECDsa _verifyingKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _certificate = InMemoryQuicPair.CreateCertificate();
        _signingKey = _certificate.GetECDsaPrivateKey()!;
        _verifyingKey = _certificate.GetECDsaPublicKey()!;
        new Random(1).NextBytes(_signedContent);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signingKey.Dispose();
        _verifyingKey.Dispose();
        _certificate.Dispose();
    }

    [Benchmark]
    public long FullHandshake()
    {
        using var pair = new InMemoryQuicPair(_certificate, TimeSpan.FromMilliseconds(1));
        pair.ConnectAndHandshake();
        return pair.DatagramsSent;
    }

    [Benchmark(Baseline = true)]
    public bool CryptoFloor()
    {
        var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var client = new Key(X25519);
        using var server = new Key(X25519);
        using SharedSecret? clientSecret = X25519.Agree(client, server.PublicKey, in parameters);
        using SharedSecret? serverSecret = X25519.Agree(server, client.PublicKey, in parameters);
        byte[] signature = _signingKey.SignData(_signedContent, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return clientSecret is not null && serverSecret is not null
            && _verifyingKey.VerifyData(_signedContent, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
