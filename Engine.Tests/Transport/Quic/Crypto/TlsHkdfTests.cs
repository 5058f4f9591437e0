using System.Security.Cryptography;
using System.Text;
using Engine.Transport.Tls;
using static Engine.Tests.Transport.Quic.Crypto.Rfc9001Vectors;

namespace Engine.Tests.Transport.Quic.Crypto;

public class TlsHkdfTests
{
    [Theory]
    [InlineData("client in", 32, ClientInLabel)]
    [InlineData("server in", 32, ServerInLabel)]
    [InlineData("quic key", 16, QuicKeyLabel)]
    [InlineData("quic iv", 12, QuicIvLabel)]
    [InlineData("quic hp", 16, QuicHpLabel)]
    public void WriteInfo_QuicLabels_MatchRfc9001AppendixA1(string label, int outputLength, string expectedHex)
    {
        Span<byte> info = stackalloc byte[600];

        int length = TlsHkdf.WriteLabelInfo(outputLength, Encoding.ASCII.GetBytes(label), default, info);

        Assert.Equal(Bytes(expectedHex), info[..length].ToArray());
    }

    [Fact]
    public void Expand_Rfc9001ChaChaSecret_DerivesAppendixA5KeyIvHpAndKu()
    {
        byte[] secret = Bytes(ChaChaSecret);
        byte[] key = new byte[32];
        byte[] iv = new byte[12];
        byte[] hp = new byte[32];
        byte[] ku = new byte[32];

        TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, secret, "quic key"u8, default, key);
        TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, secret, "quic iv"u8, default, iv);
        TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, secret, "quic hp"u8, default, hp);
        TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, secret, "quic ku"u8, default, ku);

        Assert.Equal(Bytes(ChaChaKey), key);
        Assert.Equal(Bytes(ChaChaIv), iv);
        Assert.Equal(Bytes(ChaChaHp), hp);
        Assert.Equal(Bytes(ChaChaKu), ku);
    }

    [Fact]
    public void WriteInfo_WithContext_PrefixesContextWithItsLength()
    {
        byte[] info = new byte[64];

        int length = TlsHkdf.WriteLabelInfo(48, "derived"u8, [0xaa, 0xbb], info);

        Assert.Equal([0x00, 0x30, 13, .. "tls13 derived"u8, 2, 0xaa, 0xbb], info[..length]);
    }

    [Fact]
    public void WriteInfo_LabelOver249Bytes_Throws()
    {
        byte[] label = new byte[250];

        Assert.Throws<ArgumentException>(() => TlsHkdf.WriteLabelInfo(32, label, default, new byte[600]));
    }
}
