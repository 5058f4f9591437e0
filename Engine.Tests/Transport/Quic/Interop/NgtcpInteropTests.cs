using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Io;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Interop;

/// <summary>
/// The QUIC core against ngtcp2 (Debian's ngtcp2-client and ngtcp2-server, 0.12), an
/// implementation nobody here wrote, over real UDP on loopback through <see cref="UdpEndpointDriver"/>. HTTP/3 is not built yet, so these
/// prove the transport: handshake, transport parameters, streams flowing both ways, key update
/// and loss recovery against a real peer; then we close with H3_NO_ERROR.
/// </summary>
public sealed class NgtcpInteropTests
{
    private const ulong H3NoError = 0x100;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("")]
    [InlineData("--key-update=50ms")]
    [InlineData("--tx-loss=0.2 --rx-loss=0.2")]
    [InlineData("-n 40")]
    public void GtlsClient_ConnectsToEngineServer_HandshakesAndSendsItsHttp3Streams(string extraArguments)
    {
        using var pump = new UdpEndpointDriver(
            new QuicEndpoint(new QuicEndpointOptions
            {
                Server = new QuicServerOptions
                {
                    Tls = new TlsServerOptions { Certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10)), ApplicationProtocols = ["h3"] },
                },
            }),
            new IPEndPoint(IPAddress.Loopback, 0));
        int port = pump.LocalEndPoint.Port;
        using var client = NgtcpProcess.Start("/usr/bin/gtlsclient", $"--timeout=15s --no-quic-dump {extraArguments} 127.0.0.1 {port} https://127.0.0.1:{port}/");
        var observer = new StreamObserver();
        QuicConnectionCore? connection = null;

        bool sawRequest = pump.WaitUntil(
            endpoint =>
            {
                if (connection is null && endpoint.TryAccept(out QuicConnectionCore accepted))
                {
                    connection = accepted;
                }

                if (connection is not null)
                {
                    observer.Drain(connection);
                    if (connection is { IsHandshakeConfirmed: true, IsClosing: false, KeyUpdates: 0 } && extraArguments.Contains("key-update", StringComparison.Ordinal))
                    {
                        // ngtcp2 starts a key update only in packets it sends after 50 ms, and an
                        // HTTP/3 client left unanswered may send none: make it acknowledge something.
                        connection.Ping();
                    }
                }

                return connection is { IsHandshakeConfirmed: true }
                    && observer.StartsWith(0, 0x01) // HEADERS on the first request stream
                    && observer.StartsWith(2, 0x00, 0x04) // client control stream, then SETTINGS
                    && ExtraConditionMet(extraArguments, connection!, observer);
            },
            Timeout);

        Assert.True(sawRequest, $"connection {connection?.CloseInfo}; streams {observer}; gtlsclient said:\n{client.Output}");
        Assert.Equal("h3", connection!.NegotiatedApplicationProtocol);
        Assert.Null(connection.CloseInfo);
        pump.Invoke((_, now) => { connection.Close(H3NoError, "HTTP/3 not served yet", now); return 0; });
        // Under 20 % loss each way the close and its repeats (sent per datagram received) can be lost for several PTOs.
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(30)), $"gtlsclient did not exit after CONNECTION_CLOSE:\n{client.Output}");
        Assert.Equal(0, pump.Endpoint.InternalErrors);
        Assert.Null(pump.Failure);
    }

    [Fact]
    public void EngineClient_ConnectsToGtlsServer_HandshakesAndReadsItsSettings()
    {
        using X509Certificate2 certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        string directory = Directory.CreateTempSubdirectory("engine-ngtcp2-").FullName;
        try
        {
            string keyPath = Path.Combine(directory, "key.pem");
            string certPath = Path.Combine(directory, "cert.pem");
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certPath, certificate.ExportCertificatePem());
            int port = FreeUdpPort();
            using var server = NgtcpProcess.Start("/usr/sbin/gtlsserver", $"--no-quic-dump -d {directory} 127.0.0.1 {port} {keyPath} {certPath}");
            Assert.True(server.WaitUntilUdpBound(port, TimeSpan.FromSeconds(30)), $"gtlsserver did not bind udp {port}:\n{server.Output}");

            using var pump = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions()), new IPEndPoint(IPAddress.Loopback, 0));
            var options = new QuicClientOptions
            {
                Tls = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [SHA256.HashData(certificate.RawData)] },
            };
            QuicConnectionCore connection = pump.Invoke((endpoint, now) => endpoint.Connect(options, new IPEndPoint(IPAddress.Loopback, port), now));
            var observer = new StreamObserver();

            bool ready = pump.WaitUntil(
                _ =>
                {
                    observer.Drain(connection);
                    return connection.IsHandshakeConfirmed && observer.StartsWith(3, 0x00, 0x04); // server control stream, SETTINGS
                },
                Timeout);

            Assert.True(ready, $"connection {connection.CloseInfo}; streams {observer}; gtlsserver said:\n{server.Output}");
            Assert.Equal("h3", connection.NegotiatedApplicationProtocol);
            Assert.True(connection.PeerTransportParameters!.InitialMaxStreamsBidi > 0);
            pump.Invoke((_, now) => { connection.Close(H3NoError, "done", now); return 0; });
            Assert.True(pump.WaitUntil(_ => connection.IsClosing, TimeSpan.FromSeconds(5)));
            Assert.Equal(0, pump.Endpoint.InternalErrors);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static bool ExtraConditionMet(string extraArguments, QuicConnectionCore connection, StreamObserver observer) =>
        extraArguments switch
        {
            // ngtcp2 updated its keys at least once and we followed
            _ when extraArguments.Contains("key-update", StringComparison.Ordinal) => connection.KeyUpdates >= 1,

            // 40 parallel requests: client bidirectional streams 0, 4, …, 156 each start with HEADERS
            "-n 40" => Enumerable.Range(0, 40).All(i => observer.StartsWith(4L * i, 0x01)),
            _ => true,
        };

    internal static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Reads every readable stream of a connection and keeps the first bytes of each.</summary>
    private sealed class StreamObserver
    {
        private readonly Dictionary<long, List<byte>> _prefixes = [];
        private readonly byte[] _buffer = new byte[65536];

        public void Drain(QuicConnectionCore connection)
        {
            while (connection.TryPollEvent(out QuicConnectionEvent connectionEvent))
            {
                if (connectionEvent.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable && !connection.IsClosing)
                {
                    Read(connection, connectionEvent.StreamId);
                }
            }
        }

        public bool StartsWith(long streamId, params byte[] prefix) =>
            _prefixes.TryGetValue(streamId, out List<byte>? bytes) && bytes.Count >= prefix.Length && bytes.Take(prefix.Length).SequenceEqual(prefix);

        public override string ToString() =>
            string.Join(", ", _prefixes.Select(p => $"{p.Key}: {Convert.ToHexString(p.Value.Take(8).ToArray())}"));

        private void Read(QuicConnectionCore connection, long streamId)
        {
            if (!_prefixes.TryGetValue(streamId, out List<byte>? prefix))
            {
                prefix = [];
                _prefixes[streamId] = prefix;
            }

            try
            {
                while (true)
                {
                    int read = connection.ReadStream(streamId, _buffer, out bool finished);
                    prefix.AddRange(_buffer.AsSpan(0, Math.Min(read, Math.Max(0, 64 - prefix.Count))).ToArray());
                    if (read == 0 || finished)
                    {
                        return;
                    }
                }
            }
            catch (ArgumentException)
            {
                // the stream was released (read to the end); nothing more to read
            }
        }
    }
}
