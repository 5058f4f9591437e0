using System.Security.Cryptography;
using Engine.Transport.Quic.Crypto;
using static Engine.Tests.Transport.Quic.Crypto.Rfc9001Vectors;

namespace Engine.Tests.Transport.Quic.Crypto;

public class InitialSecretsTests
{
    [Fact]
    public void V1Salt_ExtractOverRfc9001Dcid_GivesAppendixA1InitialSecret()
    {
        byte[] initialSecret = HKDF.Extract(HashAlgorithmName.SHA256, Bytes(DestinationConnectionId), InitialSecrets.V1Salt.ToArray());

        Assert.Equal(Bytes(InitialSecret), initialSecret);
    }

    [Fact]
    public void Derive_Rfc9001Dcid_GivesAppendixA1ClientAndServerSecrets()
    {
        byte[] client = new byte[32];
        byte[] server = new byte[32];

        InitialSecrets.Derive(Bytes(DestinationConnectionId), client, server);

        Assert.Equal(Bytes(ClientInitialSecret), client);
        Assert.Equal(Bytes(ServerInitialSecret), server);
    }

    [Theory]
    [InlineData(ClientInitialSecret, ClientKey, ClientIv, ClientHp)]
    [InlineData(ServerInitialSecret, ServerKey, ServerIv, ServerHp)]
    public void DeriveKeyMaterial_Rfc9001InitialSecret_GivesAppendixA1KeyIvHp(string secret, string expectedKey, string expectedIv, string expectedHp)
    {
        byte[] key = new byte[16];
        byte[] iv = new byte[12];
        byte[] hp = new byte[16];

        PacketProtection.DeriveKeyMaterial(QuicCipherSuite.Aes128GcmSha256, Bytes(secret), key, iv, hp);

        Assert.Equal(Bytes(expectedKey), key);
        Assert.Equal(Bytes(expectedIv), iv);
        Assert.Equal(Bytes(expectedHp), hp);
    }

    [Fact]
    public void DeriveKeyMaterial_WrongSpanLength_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            PacketProtection.DeriveKeyMaterial(QuicCipherSuite.Aes128GcmSha256, new byte[32], new byte[32], new byte[12], new byte[16]));
    }
}
