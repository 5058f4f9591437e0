using System.Security.Cryptography;
using NSec.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// One ephemeral (EC)DHE key pair for a named group (RFC 8446 §4.2.8): x25519 through NSec
/// (.NET has no X25519) or secp256r1 through <see cref="ECDiffieHellman"/>.
/// </summary>
internal abstract class TlsKeyExchange : IDisposable
{
    /// <summary>The named group.</summary>
    public abstract ushort Group { get; }

    /// <summary>Our key_exchange bytes: the raw x25519 key or the uncompressed P-256 point.</summary>
    public abstract byte[] PublicKey { get; }

    /// <summary>True for the groups <see cref="Create"/> accepts.</summary>
    public static bool IsSupported(ushort group) => group is TlsConstants.X25519 or TlsConstants.Secp256r1;

    /// <summary>A fresh key pair for <paramref name="group"/>; throws for an unsupported group (a caller bug).</summary>
    public static TlsKeyExchange Create(ushort group) => group switch
    {
        TlsConstants.X25519 => new X25519KeyExchange(),
        TlsConstants.Secp256r1 => new Secp256r1KeyExchange(),
        _ => throw new ArgumentOutOfRangeException(nameof(group), group, "Unsupported key exchange group."),
    };

    /// <summary>
    /// The shared secret with the peer's key_exchange bytes; false when they are malformed,
    /// not a valid point, or produce a degenerate secret. Never throws on peer bytes.
    /// </summary>
    public abstract bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, out byte[] sharedSecret);

    public abstract void Dispose();

    private sealed class X25519KeyExchange : TlsKeyExchange
    {
        private static readonly KeyAgreementAlgorithm Algorithm = KeyAgreementAlgorithm.X25519;
        private readonly Key key = new(Algorithm);

        public override ushort Group => TlsConstants.X25519;

        public override byte[] PublicKey => key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

        public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, out byte[] sharedSecret)
        {
            sharedSecret = [];
            if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, peerPublicKey, KeyBlobFormat.RawPublicKey, out NSec.Cryptography.PublicKey? peer)
                || peer is null)
            {
                return false;
            }

            // NSec refuses an all-zero result (a small-order peer point, RFC 7748 §6.1).
            var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
            using SharedSecret? secret = Algorithm.Agree(key, peer, in parameters);
            if (secret is null)
            {
                return false;
            }

            sharedSecret = secret.Export(SharedSecretBlobFormat.RawSharedSecret);
            return true;
        }

        public override void Dispose() => key.Dispose();
    }

    private sealed class Secp256r1KeyExchange : TlsKeyExchange
    {
        private const int CoordinateLength = 32;
        private readonly ECDiffieHellman key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        public override ushort Group => TlsConstants.Secp256r1;

        public override byte[] PublicKey
        {
            get
            {
                ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
                var point = new byte[1 + (2 * CoordinateLength)];
                point[0] = 0x04; // uncompressed (RFC 8446 §4.2.8.2)
                parameters.Q.X.AsSpan().CopyTo(point.AsSpan(1 + CoordinateLength - parameters.Q.X!.Length));
                parameters.Q.Y.AsSpan().CopyTo(point.AsSpan(1 + (2 * CoordinateLength) - parameters.Q.Y!.Length));
                return point;
            }
        }

        public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, out byte[] sharedSecret)
        {
            sharedSecret = [];
            if (peerPublicKey.Length != 1 + (2 * CoordinateLength) || peerPublicKey[0] != 0x04)
            {
                return false;
            }

            var parameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = peerPublicKey.Slice(1, CoordinateLength).ToArray(),
                    Y = peerPublicKey.Slice(1 + CoordinateLength, CoordinateLength).ToArray(),
                },
            };

            try
            {
                // Importing checks that the point is on the curve; a bad point throws here.
                using var peer = ECDiffieHellman.Create(parameters);
                sharedSecret = key.DeriveRawSecretAgreement(peer.PublicKey);
                return true;
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        public override void Dispose() => key.Dispose();
    }
}
