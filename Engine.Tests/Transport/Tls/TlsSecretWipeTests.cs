using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Both handshakes wipe every secret once it is no longer needed: on success, on failure and on dispose.</summary>
public sealed class TlsSecretWipeTests
{
    [Fact]
    public void Run_Completed_NeitherSideHoldsSecrets()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = TlsTestCertificates.Pair(certificate, TlsTestCertificates.Pinned(certificate));

        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
        Assert.False(pair.Client.HoldsSecrets);
        Assert.False(pair.Server.HoldsSecrets);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_HandshakeFails_FailingSideHoldsNoSecrets(bool clientFails)
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using X509Certificate2 other = TlsTestCertificates.CreateEcdsa();
        using var pair = TlsTestCertificates.Pair(certificate, TlsTestCertificates.Pinned(clientFails ? other : certificate));
        if (!clientFails)
        {
            pair.Tamper = (fromClient, level, data) => fromClient && level == TlsEncryptionLevel.Handshake ? Flip(data) : data; // a bad client Finished
        }

        pair.Run();

        Assert.NotEqual(TlsError.None, clientFails ? pair.ClientError : pair.ServerError);
        Assert.False(clientFails ? pair.Client.HoldsSecrets : pair.Server.HoldsSecrets);
    }

    [Fact]
    public void Dispose_MidHandshake_SecretsWiped()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = TlsTestCertificates.Pair(certificate, TlsTestCertificates.Pinned(certificate));
        pair.Tamper = (fromClient, level, data) => fromClient && level == TlsEncryptionLevel.Handshake ? [] : data; // the client's Finished never arrives
        pair.Run();
        Assert.True(pair.Server.HoldsSecrets);

        pair.Server.Dispose();

        Assert.False(pair.Server.HoldsSecrets);
    }

    [Fact]
    public void ZeroSecrets_AfterDerivation_AllScheduleSecretsZero()
    {
        var schedule = new TlsKeySchedule(HashAlgorithmName.SHA256);
        schedule.DeriveHandshakeSecret(RandomNumberGenerator.GetBytes(32));
        byte[] early = schedule.EarlySecret;
        byte[] handshake = schedule.HandshakeSecret;
        byte[] master = schedule.MasterSecret;
        Assert.Contains(handshake, b => b != 0);

        schedule.ZeroSecrets();

        Assert.All(new[] { early, handshake, master }, secret => Assert.All(secret, b => Assert.Equal(0, b)));
    }

    private static byte[] Flip(byte[] data)
    {
        byte[] copy = (byte[])data.Clone();
        copy[^1] ^= 1;
        return copy;
    }
}
