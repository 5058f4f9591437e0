using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Garbage, truncated and mutated peer bytes become error codes, never exceptions.</summary>
public sealed class TlsHandshakeRobustnessTests : IDisposable
{
    private static readonly TlsEncryptionLevel[] Levels = [TlsEncryptionLevel.Initial, TlsEncryptionLevel.Handshake, TlsEncryptionLevel.Application];
    private readonly X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();

    public void Dispose() => certificate.Dispose();

    [Fact]
    public void ReceiveHandshakeData_RandomBytesAtEveryLevel_NeverThrows()
    {
        var random = new Random(8446);
        for (int i = 0; i < 3000; i++)
        {
            using TlsHandshake endpoint = i % 2 == 0 ? NewServer() : NewStartedClient();
            TlsEncryptionLevel level = Levels[random.Next(Levels.Length)];
            byte[] data = new byte[random.Next(0, 400)];
            random.NextBytes(data);
            if (data.Length >= 4 && random.Next(2) == 0)
            {
                // A plausible header makes the body reach the message parsers.
                data[0] = (byte)random.Next(0, 25);
                data[1] = 0;
                data[2] = (byte)((data.Length - 4) >> 8);
                data[3] = (byte)(data.Length - 4);
            }

            TlsError error = endpoint.ReceiveHandshakeData(level, data);
            if (error != TlsError.None)
            {
                Assert.NotNull(endpoint.FailureReason);
            }
        }
    }

    [Fact]
    public void ReceiveHandshakeData_TruncatedClientHello_WaitsWithoutError()
    {
        using TlsClientHandshake client = NewStartedClient();
        Assert.True(client.TryDequeue(out TlsOutput hello));
        for (int length = 0; length < hello.Data.Length; length++)
        {
            using TlsServerHandshake server = NewServer();
            Assert.Equal(TlsError.None, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data.AsSpan(0, length)));
            Assert.False(server.TryDequeue(out _));
        }
    }

    [Fact]
    public void ReceiveHandshakeData_ClientHelloWithShortenedLength_FailsWithoutThrowing()
    {
        using TlsClientHandshake client = NewStartedClient();
        Assert.True(client.TryDequeue(out TlsOutput hello));
        for (int cut = 1; cut < hello.Data.Length - 4; cut += 3)
        {
            byte[] message = hello.Data[..^cut];
            int bodyLength = message.Length - 4;
            message[1] = (byte)(bodyLength >> 16);
            message[2] = (byte)(bodyLength >> 8);
            message[3] = (byte)bodyLength;
            using TlsServerHandshake server = NewServer();
            Assert.True(server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, message).Kind == TlsErrorKind.Alert);
        }
    }

    [Fact]
    public void ReceiveHandshakeData_MutatedServerFlight_ClientNeverThrowsAndNeverCompletes()
    {
        var random = new Random(9001);
        int failures = 0;
        for (int i = 0; i < 300; i++)
        {
            int target = -1;
            using var pair = new TlsHandshakePair(
                new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [TlsTestCertificates.Sha256(certificate)] },
                new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] })
            {
                Tamper = (fromClient, level, data) =>
                {
                    if (fromClient || level != TlsEncryptionLevel.Handshake)
                    {
                        return data;
                    }

                    byte[] copy = (byte[])data.Clone();
                    target = random.Next(copy.Length);
                    copy[target] ^= (byte)random.Next(1, 256);
                    return copy;
                },
            };

            pair.Run();
            Assert.True(target >= 0);
            Assert.False(pair.Client.IsHandshakeComplete, $"completed despite byte {target} changed");
            if (pair.ClientError != TlsError.None)
            {
                failures++;
            }
        }

        // Some mutations only enlarge a length, leaving the client waiting for more bytes.
        Assert.InRange(failures, 250, 300);
    }

    [Fact]
    public void ReceiveHandshakeData_MutatedServerHello_ClientNeverThrows()
    {
        using TlsClientHandshake template = NewStartedClient();
        Assert.True(template.TryDequeue(out TlsOutput clientHello));
        using TlsServerHandshake server = NewServer();
        Assert.Equal(TlsError.None, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, clientHello.Data));
        Assert.True(server.TryDequeue(out TlsOutput serverHello));

        for (int i = 0; i < serverHello.Data.Length; i++)
        {
            byte[] mutated = (byte[])serverHello.Data.Clone();
            mutated[i] ^= 0xa5;
            using TlsClientHandshake client = NewStartedClient();
            client.ReceiveHandshakeData(TlsEncryptionLevel.Initial, mutated);
            Assert.False(client.IsHandshakeComplete);
        }
    }

    [Fact]
    public void ReceiveHandshakeData_BeforeStart_FailsWithUnexpectedMessage()
    {
        using var client = new TlsClientHandshake(new TlsClientOptions { ApplicationProtocols = ["h3"] }, TlsHandshakePair.ClientTransportParameters());

        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), client.ReceiveHandshakeData(TlsEncryptionLevel.Initial, [2, 0, 0, 0]));
    }

    private TlsServerHandshake NewServer() =>
        new(new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] }, TlsHandshakePair.ServerTransportParameters());

    private TlsClientHandshake NewStartedClient()
    {
        var client = new TlsClientHandshake(
            new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [TlsTestCertificates.Sha256(certificate)] },
            TlsHandshakePair.ClientTransportParameters());
        client.Start();
        return client;
    }
}
