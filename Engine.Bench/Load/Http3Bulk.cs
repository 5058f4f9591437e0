using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Io;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Bench.Load;

/// <summary>
/// Bulk HTTP/3 download, side by side on this machine: ngtcp2's gtlsclient fetches the same
/// body from Engine (UdpEndpointDriver + Http3ServerConnection, in this process) and from
/// ngtcp2's own gtlsserver, alternating, and reports Mbit/s and server CPU seconds per 100 MB.
/// <c>dotnet run -c Release --project Engine.Bench -- h3-bulk [--megabytes 100] [--runs 3] [--uncapped] [--no-gso] [--engine-datagram-size 1200]</c>.
/// By default gtlsclient is held to 1200-byte datagrams (Engine's size, no path MTU discovery);
/// <c>--uncapped</c> lets ngtcp2 probe larger ones. <c>--no-gso</c> sends one datagram per system call.
/// <c>--engine-datagram-size</c> is an experiment: Engine's MaxDatagramSize (it has no path MTU
/// discovery; loopback carries anything, and the client's max_udp_payload_size still bounds it).
/// The engine figure includes a breakdown of its driver thread's time.
/// </summary>
internal static class Http3Bulk
{
    public static int Run(string[] args)
    {
        int megabytes = Option(args, "--megabytes", 100);
        int runs = Option(args, "--runs", 3);
        bool uncapped = args.Contains("--uncapped");
        bool gso = !args.Contains("--no-gso");
        int datagramSize = Option(args, "--engine-datagram-size", 1200);
        if (!File.Exists("/usr/bin/gtlsclient") || !File.Exists("/usr/sbin/gtlsserver"))
        {
            Console.Error.WriteLine("h3-bulk needs Debian's ngtcp2-client and ngtcp2-server (apt-get install ngtcp2-client ngtcp2-server).");
            return 2;
        }

        string work = Directory.CreateTempSubdirectory("engine-h3-bulk-").FullName;
        try
        {
            byte[] body = new byte[megabytes * 1024 * 1024];
            new Random(1).NextBytes(body);
            File.WriteAllBytes(Path.Combine(work, "bulk.bin"), body);
            using X509Certificate2 certificate = CreateCertificate();
            string keyPath = Path.Combine(work, "key.pem");
            string certPath = Path.Combine(work, "cert.pem");
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certPath, certificate.ExportCertificatePem());

            using Http3Server engine = new(
                new IPEndPoint(IPAddress.Loopback, 0),
                new QuicServerOptions
                {
                    Tls = new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] },
                    Transport = new QuicTransportOptions { MaxDatagramSize = datagramSize },
                },
                new Http3WholeResponseHandler(_ => new Http3Response(200, [new("content-type", "application/octet-stream")], body)),
                segmentationOffload: gso);
            engine.Driver.MeasureTimings = true;
            int ngtcp2Port = FreeUdpPort();
            using Process ngtcp2 = Process.Start(new ProcessStartInfo("/usr/sbin/gtlsserver", $"-q --no-quic-dump --no-http-dump -d {work} 127.0.0.1 {ngtcp2Port} {keyPath} {certPath}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            Thread.Sleep(300);

            // One unrecorded download each first: the engine's first run would otherwise time the JIT.
            Measure(engine.LocalEndPoint.Port, work, body.Length, uncapped, () => TimeSpan.Zero);
            Measure(ngtcp2Port, work, body.Length, uncapped, () => TimeSpan.Zero);
            engine.Driver.Timings.Reset();
            long datagramsBefore = engine.Driver.DatagramsSent;
            var results = new List<(string Server, double Seconds, double CpuSeconds)>();
            for (int run = 0; run < runs; run++)
            {
                (double engineSeconds, double engineRunCpu) = Measure(engine.LocalEndPoint.Port, work, body.Length, uncapped, () => Process.GetCurrentProcess().TotalProcessorTime);
                results.Add(("engine", engineSeconds, engineRunCpu));
                (double ngtcp2Seconds, double ngtcp2RunCpu) = Measure(ngtcp2Port, work, body.Length, uncapped, () => ProcessCpu(ngtcp2.Id));
                results.Add(("ngtcp2", ngtcp2Seconds, ngtcp2RunCpu));
            }

            ngtcp2.Kill();
            Console.WriteLine($"gtlsclient downloading {megabytes} MiB, {runs} alternating runs per server (loopback, this machine), {(uncapped ? "client datagram size uncapped" : "client held to 1200-byte datagrams")}, engine datagrams up to {datagramSize} bytes, engine GSO {(engine.Driver.UsesSegmentationOffload ? "on" : "off")}, non-blocking receive {(engine.Driver.UsesNonBlockingReceive ? "on" : "off")}:");
            Console.WriteLine("server   run   Mbit/s   server CPU s per 100 MB");
            foreach (IGrouping<string, (string Server, double Seconds, double CpuSeconds)> group in results.GroupBy(r => r.Server))
            {
                int i = 0;
                foreach ((_, double seconds, double cpu) in group)
                {
                    Console.WriteLine($"{group.Key,-8} {++i,3} {Mbits(body.Length, seconds),8:F0} {cpu * 100 / megabytes,10:F2}");
                }
            }

            double engineRate = results.Where(r => r.Server == "engine").Average(r => Mbits(body.Length, r.Seconds));
            double ngtcp2Rate = results.Where(r => r.Server == "ngtcp2").Average(r => Mbits(body.Length, r.Seconds));
            double engineCpu = results.Where(r => r.Server == "engine").Average(r => r.CpuSeconds) * 100 / megabytes;
            double ngtcp2Cpu = results.Where(r => r.Server == "ngtcp2").Average(r => r.CpuSeconds) * 100 / megabytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mean: engine {engineRate:F0} Mbit/s, {engineCpu:F2} CPU s/100MB; ngtcp2 {ngtcp2Rate:F0} Mbit/s, {ngtcp2Cpu:F2} CPU s/100MB; throughput ratio engine/ngtcp2 {engineRate / ngtcp2Rate:F2}, CPU ratio {engineCpu / ngtcp2Cpu:F2}"));
            PrintBreakdown(engine.Driver, results.Where(r => r.Server == "engine").Sum(r => r.Seconds), datagramsBefore);
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Where the engine's driver thread went, summed over the engine runs (wall time as the denominator).</summary>
    private static void PrintBreakdown(UdpEndpointDriver driver, double engineSeconds, long datagramsBefore)
    {
        UdpDriverTimings t = driver.Timings;
        double Share(long ticks) => ticks / (double)Stopwatch.Frequency / engineSeconds * 100;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engine driver thread, % of engine wall time: build+protect {Share(t.Build):F0}%, send calls {Share(t.Send):F0}% ({t.Sends} sends for {driver.DatagramsSent - datagramsBefore} datagrams), receive calls {Share(t.Receive):F0}% ({t.Receives}), receive handling {Share(t.Handle):F0}%, HTTP/3 layer {Share(t.Application):F0}%, {t.Waits} Socket.Poll calls; the rest is waiting"));
    }

    private static (double Seconds, double CpuSeconds) Measure(int port, string work, int expectedBytes, bool uncapped, Func<TimeSpan> serverCpu)
    {
        string downloads = Path.Combine(work, "downloads");
        Directory.CreateDirectory(downloads);
        TimeSpan cpuBefore = serverCpu();
        var clock = Stopwatch.StartNew();
        using Process client = Process.Start(new ProcessStartInfo("/usr/bin/gtlsclient",
            $"-q --exit-on-all-streams-close --no-quic-dump --no-http-dump {(uncapped ? string.Empty : "--max-udp-payload-size=1200")} --download={downloads} 127.0.0.1 {port} https://127.0.0.1:{port}/bulk.bin")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        client.WaitForExit(120_000);
        double seconds = clock.Elapsed.TotalSeconds;
        double cpu = (serverCpu() - cpuBefore).TotalSeconds;
        long got = new FileInfo(Path.Combine(downloads, "bulk.bin")).Length;
        if (got != expectedBytes)
        {
            throw new InvalidOperationException($"downloaded {got} of {expectedBytes} bytes from port {port}");
        }

        File.Delete(Path.Combine(downloads, "bulk.bin"));
        return (seconds, cpu);
    }

    private static double Mbits(int bytes, double seconds) => bytes * 8 / seconds / 1e6;

    private static TimeSpan ProcessCpu(int pid)
    {
        // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 Hz on Linux).
        string[] fields = File.ReadAllText($"/proc/{pid}/stat").Split(' ');
        long ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static int FreeUdpPort()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        DateTimeOffset now = DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(now, now.AddDays(10));
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
