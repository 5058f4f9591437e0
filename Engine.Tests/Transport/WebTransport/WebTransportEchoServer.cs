using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Tests.Transport.Tls;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;

namespace Engine.Tests.Transport.WebTransport;

/// <summary>
/// A real <see cref="Http3Server"/> on loopback UDP serving WebTransport at /wt with an echo
/// application: bidirectional streams echo and end, unidirectional streams come back on a
/// unidirectional stream of ours, datagrams echo. Sessions are kept for the tests to inspect.
/// </summary>
internal sealed class WebTransportEchoServer : IDisposable
{
    private readonly List<WebTransportSession> _sessions = [];

    public WebTransportEchoServer(Func<WebTransportConnectRequest, WebTransportConnectResult>? authorize = null, Func<WebTransportServerOptions, WebTransportServerOptions>? configure = null)
    {
        Certificate = TlsTestCertificates.CreateEcdsa();
        var options = new WebTransportServerOptions
        {
            Authorize = authorize,
            SessionEstablished = session =>
            {
                lock (_sessions)
                {
                    _sessions.Add(session);
                }

                _ = Task.Run(() => EchoAsync(session));
            },
        };
        Server = new Http3Server(new IPEndPoint(IPAddress.Loopback, 0), Certificate, new NotFoundHandler(), webTransport: configure?.Invoke(options) ?? options);
    }

    public X509Certificate2 Certificate { get; }

    public Http3Server Server { get; }

    public Uri Uri => new($"https://127.0.0.1:{Server.LocalEndPoint.Port}/wt");

    public WebTransportClientOptions ClientOptions => new() { ServerCertificateHashes = [SHA256.HashData(Certificate.RawData)], Origin = "https://game.example" };

    public IReadOnlyList<WebTransportSession> Sessions
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions];
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> sessions were established.</summary>
    public async Task<WebTransportSession> WaitForSessionAsync(int count = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Sessions.Count < count)
        {
            await Task.Delay(10, timeout.Token);
        }

        return Sessions[count - 1];
    }

    public void Dispose()
    {
        Server.Dispose();
        Certificate.Dispose();
    }

    private static async Task EchoAsync(WebTransportSession session)
    {
        Task bidi = Task.Run(async () =>
        {
            while (true)
            {
                QuicStream stream = await session.AcceptBidirectionalStreamAsync();
                _ = Task.Run(async () =>
                {
                    await stream.CopyToAsync(stream);
                    stream.CompleteWrites();
                });
            }
        });
        Task uni = Task.Run(async () =>
        {
            while (true)
            {
                QuicStream stream = await session.AcceptUnidirectionalStreamAsync();
                _ = Task.Run(async () =>
                {
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy);
                    await using QuicStream reply = await session.OpenUnidirectionalStreamAsync();
                    await reply.WriteAsync(copy.ToArray());
                    reply.CompleteWrites();
                });
            }
        });
        Task datagrams = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            while (true)
            {
                int length = await session.ReceiveDatagramAsync(buffer);
                session.TrySendDatagram(buffer.AsSpan(0, length));
            }
        });
        try
        {
            await Task.WhenAll(bidi, uni, datagrams);
        }
        catch (QuicException)
        {
            // The session ended.
        }
    }

    private sealed class NotFoundHandler : IHttp3RequestHandler
    {
        public void OnRequest(Http3ServerRequest request) => request.Respond(new Http3Response(404, [], "not found"u8.ToArray()));
    }
}
