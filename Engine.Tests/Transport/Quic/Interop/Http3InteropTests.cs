using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Io;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Interop;

/// <summary>
/// ngtcp2's HTTP/3 client (gtlsclient, with nghttp3) fetching from Engine's first HTTP/3 server
/// layer over real UDP: status and bytes must match what the handler served.
/// </summary>
public sealed class Http3InteropTests
{
    [Fact]
    public void GtlsClient_ThirtyParallelRequests_AllServed()
    {
        byte[] page = Encoding.UTF8.GetBytes("multiplexed\n");
        using Http3Server server = StartServer(_ => new Http3Response(200, [new("content-type", "text/plain")], page));
        int port = server.LocalEndPoint.Port;
        using var client = NgtcpProcess.Start(
            "/usr/bin/gtlsclient",
            $"--exit-on-all-streams-close --timeout=20s --no-quic-dump --no-http-dump -n 30 127.0.0.1 {port} https://127.0.0.1:{port}/a https://127.0.0.1:{port}/b");

        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(60)), $"gtlsclient did not finish:\n{client.Output}");
        Assert.Equal(30, server.Driver.Invoke((_, _) => server.RequestsServed));
        Assert.Equal(0, server.Driver.Endpoint.InternalErrors);
    }

    [Fact]
    public void GtlsClient_FetchesPageAndTenMegabytes_BytesIdentical()
    {
        byte[] page = Encoding.UTF8.GetBytes("<!doctype html><title>Engine</title><p>served over HTTP/3</p>\n");
        byte[] big = TransferSimulationTests.RandomBytes(10, 10 * 1024 * 1024);
        Http3Response Serve(Http3Request request) => request.Path switch
        {
            "/" or "/index.html" => new Http3Response(200, [new("content-type", "text/html")], page),
            "/big.bin" => new Http3Response(200, [new("content-type", "application/octet-stream")], big),
            _ => new Http3Response(404, [], Encoding.UTF8.GetBytes("not found")),
        };

        using Http3Server server = StartServer(Serve);
        int port = server.LocalEndPoint.Port;
        string downloads = Directory.CreateTempSubdirectory("engine-h3-").FullName;
        try
        {
            using var client = NgtcpProcess.Start(
                "/usr/bin/gtlsclient",
                $"--exit-on-all-streams-close --timeout=20s --no-quic-dump --no-http-dump --download={downloads} 127.0.0.1 {port} https://127.0.0.1:{port}/index.html https://127.0.0.1:{port}/big.bin");
            bool exited = client.WaitForExit(TimeSpan.FromSeconds(60));

            Assert.True(exited, $"gtlsclient did not finish:\n{client.Output}");
            Assert.Equal(page, File.ReadAllBytes(Path.Combine(downloads, "index.html")));
            Assert.Equal(SHA256.HashData(big), SHA256.HashData(File.ReadAllBytes(Path.Combine(downloads, "big.bin"))));
            Assert.Equal(2, server.Driver.Invoke((_, _) => server.RequestsServed));
            Assert.Equal(0, server.Driver.Endpoint.InternalErrors);
            Assert.Null(server.Driver.Failure);
        }
        finally
        {
            Directory.Delete(downloads, recursive: true);
        }
    }

    [Fact]
    public void EngineClient_FetchesPageTenMegabytesAndThirtyParallelFromGtlsServer_BytesIdentical()
    {
        using var certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        string htdocs = Directory.CreateTempSubdirectory("engine-h3-htdocs-").FullName;
        try
        {
            byte[] page = Encoding.UTF8.GetBytes("<!doctype html><p>from ngtcp2</p>\n");
            byte[] big = TransferSimulationTests.RandomBytes(11, 10 * 1024 * 1024);
            File.WriteAllBytes(Path.Combine(htdocs, "index.html"), page);
            File.WriteAllBytes(Path.Combine(htdocs, "big.bin"), big);
            string keyPath = Path.Combine(htdocs, "key.pem");
            string certPath = Path.Combine(htdocs, "cert.pem");
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certPath, certificate.ExportCertificatePem());
            int port = NgtcpInteropTests.FreeUdpPort();
            using var server = NgtcpProcess.Start("/usr/sbin/gtlsserver", $"--no-quic-dump --no-http-dump -d {htdocs} 127.0.0.1 {port} {keyPath} {certPath}");
            Assert.True(server.WaitUntilUdpBound(port, TimeSpan.FromSeconds(30)), $"gtlsserver did not bind udp {port}:\n{server.Output}");

            using var driver = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions()), new IPEndPoint(IPAddress.Loopback, 0));
            var options = new QuicClientOptions
            {
                Tls = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [SHA256.HashData(certificate.RawData)] },
            };
            QuicConnectionCore connection = driver.Invoke((endpoint, now) => endpoint.Connect(options, new IPEndPoint(IPAddress.Loopback, port), now));
            var http = new Http3ClientConnection(connection);
            driver.AfterIteration = (_, now) => http.Process(now);
            Assert.True(driver.WaitUntil(_ => connection.IsHandshakeComplete, TimeSpan.FromSeconds(10)), $"handshake: {connection.CloseInfo}\n{server.Output}");

            (Http3ClientResponse pageResponse, Http3ClientResponse bigResponse) = driver.Invoke((_, _) =>
                (http.Get($"127.0.0.1:{port}", "/index.html"), http.Get($"127.0.0.1:{port}", "/big.bin")));
            List<Http3ClientResponse> parallel = driver.Invoke((_, _) =>
                Enumerable.Range(0, 30).Select(_ => http.Get($"127.0.0.1:{port}", "/index.html")).ToList());
            bool done = driver.WaitUntil(
                _ => new[] { pageResponse, bigResponse }.Concat(parallel).All(r => r.IsComplete || r.Error is not null),
                TimeSpan.FromSeconds(60));

            Assert.True(done, $"page {pageResponse.Body.Length} B, big {bigResponse.Body.Length} B; connection {connection.CloseInfo}\n{server.Output}");
            Assert.Null(pageResponse.Error);
            Assert.Null(bigResponse.Error);
            Assert.Equal(200, pageResponse.Status);
            Assert.Equal(page, pageResponse.Body.ToArray());
            Assert.Equal(200, bigResponse.Status);
            Assert.Equal(SHA256.HashData(big), SHA256.HashData(bigResponse.Body.ToArray()));
            Assert.All(parallel, r => Assert.Equal(page, r.Body.ToArray()));
            Assert.Equal(0, driver.Endpoint.InternalErrors);
        }
        finally
        {
            Directory.Delete(htdocs, recursive: true);
        }
    }

    private static Http3Server StartServer(Func<Http3Request, Http3Response> handler) =>
        new(
            new IPEndPoint(IPAddress.Loopback, 0),
            new QuicServerOptions
            {
                Tls = new TlsServerOptions { Certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10)), ApplicationProtocols = ["h3"] },
            },
            new Http3WholeResponseHandler(handler));
}
