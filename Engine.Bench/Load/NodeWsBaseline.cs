using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Bench.Load;

/// <summary>
/// The <c>node-ws</c> baseline: Engine.Bench/Load/node-ws-baseline/server.mjs, a Node server on npm
/// <c>ws</c> 8.x that broadcasts byte-compatible snapshots and game events at the same tick rate.
/// Installs its package on first use and serves wss:// with a throwaway self-signed certificate
/// (ECDSA P-256, like Engine's development certificate) unless TLS is turned off.
/// </summary>
internal static class NodeWsBaseline
{
    private const string Folder = "node-ws-baseline";

    public static ServerUnderTest Start(LoadArguments args)
    {
        // The stamps are CLOCK_MONOTONIC nanoseconds from Node; the client subtracts them from
        // Stopwatch ticks, which are the same clock in nanoseconds only when the frequency is 1 GHz.
        if (Stopwatch.Frequency != 1_000_000_000)
        {
            throw new InvalidOperationException(
                $"Stopwatch.Frequency is {Stopwatch.Frequency}, not 1,000,000,000: the node-ws baseline stamps messages with CLOCK_MONOTONIC nanoseconds " +
                "(process.hrtime.bigint()), which equal Stopwatch ticks only on Linux where the frequency is 1 GHz. Run the comparison on Linux.");
        }

        string folder = FindFolder();
        InstallPackagesIfMissing(folder);

        string? certificateFolder = args.BaselineTls ? WriteThrowawayCertificate() : null;
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add(Path.Combine(folder, "server.mjs"));
        AddArgument(start, "--rate", args.Rate);
        AddArgument(start, "--events-per-tick", args.EventsPerTick);
        AddArgument(start, "--event-bytes", args.EventBytes);
        AddArgument(start, "--state-bytes", BenchRoom.StateBytes(args.Entities));
        if (certificateFolder is not null)
        {
            start.ArgumentList.Add("--cert");
            start.ArgumentList.Add(Path.Combine(certificateFolder, "cert.pem"));
            start.ArgumentList.Add("--key");
            start.ArgumentList.Add(Path.Combine(certificateFolder, "key.pem"));
        }

        Process server;
        try
        {
            server = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("The node-ws baseline needs `node` (18 or newer) on PATH.", ex);
        }

        // listening wss://127.0.0.1:PORT clock NANOSECONDS node vX ws Y
        string line = ServerUnderTest.ReadListeningLine(server, "the node-ws baseline");
        long readAt = Stopwatch.GetTimestamp();
        string[] words = line.Split(' ');
        long nodeClock = long.Parse(words[3], CultureInfo.InvariantCulture);
        CheckClocksAgree(nodeClock, readAt);
        var uri = new Uri(words[1] + "/ws");
        return new ServerUnderTest(LoadArguments.NodeWsBaseline, $"Node {words[5]}, ws {words[7]}", server, uri, () =>
        {
            if (certificateFolder is not null)
            {
                Directory.Delete(certificateFolder, recursive: true);
            }
        });
    }

    private static void AddArgument(ProcessStartInfo start, string name, int value)
    {
        start.ArgumentList.Add(name);
        start.ArgumentList.Add(value.ToString(CultureInfo.InvariantCulture));
    }

    // Node printed its clock just before we read the line, so ours must be a little later.
    private static void CheckClocksAgree(long nodeClock, long readAt)
    {
        double behindMs = (readAt - nodeClock) / 1e6;
        if (behindMs is < -1 or > 1_000)
        {
            throw new InvalidOperationException(
                $"Node's process.hrtime.bigint() and Stopwatch.GetTimestamp() disagree by {behindMs:F1} ms; they must read the same CLOCK_MONOTONIC for the latency figures to mean anything.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"clock check: Stopwatch.Frequency = {Stopwatch.Frequency:N0} Hz (ticks are ns); Node's hrtime read {behindMs * 1000:F0} µs before Stopwatch (same CLOCK_MONOTONIC)"));
    }

    private static string FindFolder()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "Engine.Bench", "Load", Folder);
            if (File.Exists(Path.Combine(candidate, "server.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"Engine.Bench/Load/{Folder}/server.mjs not found above {AppContext.BaseDirectory}; run the bench from the repository.");
    }

    private static void InstallPackagesIfMissing(string folder)
    {
        if (Directory.Exists(Path.Combine(folder, "node_modules", "ws")))
        {
            return;
        }

        Console.WriteLine($"installing the node-ws baseline's packages: npm install --no-audit --no-fund in {folder}");
        var start = new ProcessStartInfo("npm") { WorkingDirectory = folder, UseShellExecute = false };
        start.ArgumentList.Add("install");
        start.ArgumentList.Add("--no-audit");
        start.ArgumentList.Add("--no-fund");
        try
        {
            using Process npm = Process.Start(start) ?? throw new InvalidOperationException("could not start npm");
            npm.WaitForExit();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install failed (exit code {npm.ExitCode}) in {folder}.");
            }
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("The node-ws baseline needs `npm` on PATH to install its `ws` package.", ex);
        }
    }

    /// <summary>A self-signed ECDSA P-256 certificate for 127.0.0.1/localhost, as cert.pem and key.pem in a new temporary folder.</summary>
    private static string WriteThrowawayCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        DirectoryInfo folder = Directory.CreateTempSubdirectory("engine-bench-node-ws-");
        File.WriteAllText(Path.Combine(folder.FullName, "cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder.FullName, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return folder.FullName;
    }
}
