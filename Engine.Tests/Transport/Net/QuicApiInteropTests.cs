using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Engine.Tests.Transport.Quic.Interop;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Net;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Net;

/// <summary>The public client API against ngtcp2's gtlsserver (Debian ngtcp2-server) over real UDP.</summary>
public sealed class QuicApiInteropTests
{
    [Fact]
    public async Task ConnectAsync_ToGtlsServer_ReadsItsControlStreamAndFetchesAFile()
    {
        using X509Certificate2 certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var directory = new Engine.Tests.Hosting.TemporaryDirectory();
        string keyPath = directory.Combine("key.pem");
        string certPath = directory.Combine("cert.pem");
        await File.WriteAllTextAsync(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
        byte[] file = Encoding.UTF8.GetBytes("hello from gtlsserver through Engine's public QUIC API\n");
        await File.WriteAllBytesAsync(directory.Combine("hello.txt"), file, TestContext.Current.CancellationToken);
        int port = NgtcpInteropTests.FreeUdpPort();
        using var server = NgtcpProcess.Start("/usr/sbin/gtlsserver", $"--no-quic-dump --no-http-dump -d {directory.Path} 127.0.0.1 {port} {keyPath} {certPath}");
        Assert.True(server.WaitUntilUdpBound(port, TimeSpan.FromSeconds(30)), $"gtlsserver did not bind udp {port}:\n{server.Output}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        CancellationToken ct = timeout.Token;

        await using QuicConnection connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, port),
            ApplicationProtocols = ["h3"],
            ServerCertificateHashes = [SHA256.HashData(certificate.RawData)],
        }, ct);
        await using QuicStream control = await connection.OpenOutboundStreamAsync(QuicStreamType.Unidirectional, ct);
        await control.WriteAsync((byte[])[(byte)Http3StreamType.Control, .. new Http3Settings { QPackMaxTableCapacity = 0, QPackBlockedStreams = 0 }.ToFrameBytes()], ct);
        await using QuicStream request = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await request.WriteAsync(GetRequest($"127.0.0.1:{port}", "/hello.txt"), ct);
        request.CompleteWrites();
        await using QuicStream serverControl = await AcceptControlStreamAsync(connection, ct);
        byte[] head = new byte[2];
        await serverControl.ReadExactlyAsync(head, ct);
        byte[] response = await QuicApiTests.ReadAllAsync(request, ct);

        Assert.Equal("h3", connection.NegotiatedApplicationProtocol);
        Assert.Equal([0x00, 0x04], head); // control stream type, then SETTINGS
        Assert.Equal(QuicStreamType.Unidirectional, serverControl.Type);
        Assert.Equal(1, response[0]); // HEADERS first
        Assert.EndsWith(Encoding.UTF8.GetString(file), Encoding.UTF8.GetString(response), StringComparison.Ordinal); // then the file in DATA
    }

    /// <summary>The server opens its control and QPACK streams; the control stream starts with type 0x00.</summary>
    private static async Task<QuicStream> AcceptControlStreamAsync(QuicConnection connection, CancellationToken ct)
    {
        while (true)
        {
            QuicStream stream = await connection.AcceptInboundStreamAsync(ct);
            if (stream.Id == 3)
            {
                return stream;
            }

            await stream.DisposeAsync();
        }
    }

    private static byte[] GetRequest(string authority, string path)
    {
        var section = new ArrayBufferWriter<byte>();
        QPackEncoder.WriteFieldSection(section, [new(":method", "GET"), new(":scheme", "https"), new(":authority", authority), new(":path", path)]);
        byte[] frame = new byte[Http3HeadersFrame.GetFrameLength(section.WrittenCount)];
        var writer = new SpanWriter(frame);
        Http3HeadersFrame.WriteFrame(ref writer, section.WrittenSpan);
        return frame;
    }
}
