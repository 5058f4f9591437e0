using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;

namespace Engine.Bench.Load;

/// <summary>
/// A server process the load clients connect to: Engine (<see cref="StartEngine"/>), a baseline
/// (<see cref="NodeWsBaseline"/>), or <see cref="DatagramEchoServer"/>. Its CPU time is read from its <see cref="Process"/>; disposing
/// closes its standard input, which both servers treat as "stop".
/// </summary>
internal sealed class ServerUnderTest : IDisposable
{
    private readonly Action? _cleanup;

    public ServerUnderTest(string name, string software, Process process, Uri webSocketUri, Action? cleanup = null)
    {
        Name = name;
        Software = software;
        Process = process;
        WebSocketUri = webSocketUri;
        _cleanup = cleanup;
    }

    /// <summary>How the per-process CPU lines name <see cref="Process"/> (a cluster run measures several).</summary>
    public string ProcessLabel { get; init; } = "server";

    /// <summary>
    /// Other processes whose CPU time each window measures as well (a cluster's other instance, the
    /// NATS server); those with <see cref="MeasuredProcess.Serving"/> count towards the server CPU.
    /// Disposing this does not stop them: <c>cleanup</c> does what is needed.
    /// </summary>
    public IReadOnlyList<MeasuredProcess> Companions { get; init; } = [];

    /// <summary>The counters read before and after each window; null: Engine's <c>/metrics</c> of <see cref="WebSocketUri"/> (Engine only).</summary>
    public Func<Task<Dictionary<string, double>>>? ReadCounters { get; init; }

    /// <summary>Which of those counters the report's <c>server counters</c> line shows (null: all).</summary>
    public Func<string, bool>? ShowCounter { get; init; }

    /// <summary>The UDP port of the raw-UDP floor's sender in this process (<c>serve --udp-floor-bytes</c>); 0 when it runs none.</summary>
    public int UdpFloorPort { get; init; }

    /// <summary>The floor's datagram size.</summary>
    public int UdpFloorBytes { get; init; }

    /// <summary>Short name for tables: <c>Engine</c> or <c>node-ws</c>.</summary>
    public string Name { get; }

    /// <summary>What runs, with versions.</summary>
    public string Software { get; }

    public Process Process { get; }

    /// <summary>Where clients connect: wss://…/ws for Engine, wss:// or ws:// for a baseline; about:blank for the datagram echo server, whose client reads the address from its <c>listening</c> line.</summary>
    public Uri WebSocketUri { get; }

    /// <summary>Starts <c>Engine.Bench serve</c> (an Engine host with <see cref="BenchRoom"/>) as its own process.</summary>
    public static ServerUnderTest StartEngine(LoadArguments args)
    {
        string[] serverArgs = ["serve", .. args.ToServerArgs()];
        if (args.UdpFloorBytes > 0)
        {
            serverArgs = [.. serverArgs, "--udp-floor-bytes", args.UdpFloorBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        }

        Process server = StartBench(serverArgs);
        var before = new List<string>();
        string line = ReadListeningLine(server, "the bench server", before);
        var baseAddress = new Uri(line["listening ".Length..]);
        string? floor = before.FirstOrDefault(l => l.StartsWith("udp-floor ", StringComparison.Ordinal));
        return new ServerUnderTest("Engine", $"Engine (Kestrel, .NET {Environment.Version})", server, new Uri($"wss://{baseAddress.Authority}/ws"))
        {
            UdpFloorBytes = args.UdpFloorBytes,
            UdpFloorPort = floor is null ? 0 : int.Parse(floor["udp-floor ".Length..], System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Starts this bench again as its own process with <paramref name="arguments"/> (a server
    /// command), standard input and output redirected; with <paramref name="cpus"/> (a taskset
    /// CPU list) under <c>taskset -c</c>, which execs it, so the process id is the bench's.
    /// </summary>
    public static Process StartBench(IEnumerable<string> arguments, string? cpus = null)
    {
        var start = new ProcessStartInfo(cpus is null ? Environment.ProcessPath! : "taskset")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (cpus is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus);
            start.ArgumentList.Add(Environment.ProcessPath!);
        }

        if (!Environment.ProcessPath!.EndsWith("Engine.Bench", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(ServerUnderTest).Assembly.Location); // running under `dotnet Engine.Bench.dll`
        }

        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the bench server");
    }

    /// <summary>Reads the server's standard output up to its <c>listening …</c> line.</summary>
    public static string ReadListeningLine(Process server, string what, List<string>? before = null)
    {
        string? line;
        while ((line = server.StandardOutput.ReadLine()) is not null && !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            before?.Add(line);
        }

        return line ?? throw new InvalidOperationException($"{what} exited before listening (exit code {(server.WaitForExit(1_000) ? server.ExitCode : -1)}).");
    }

    /// <summary>
    /// One extra TLS connection to see what the load clients' handshakes negotiate (protocol and
    /// cipher suite), so a comparison can show both servers encrypt the same way.
    /// </summary>
    public async Task<string> DescribeTransportAsync()
    {
        if (WebSocketUri.Scheme != "wss")
        {
            return "ws:// (plain TCP, no TLS)";
        }

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(WebSocketUri.Host, WebSocketUri.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, static (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        return $"wss:// ({tls.SslProtocol}, {tls.NegotiatedCipherSuite})";
    }

    /// <summary>One more process a window measures.</summary>
    /// <param name="Label">Its name in the report.</param>
    /// <param name="Process">The process.</param>
    /// <param name="Serving">Whether its CPU counts as the server's (it does part of the delivery).</param>
    internal sealed record MeasuredProcess(string Label, Process Process, bool Serving);

    public void Dispose()
    {
        try
        {
            Process.StandardInput.Close();
            if (!Process.WaitForExit(5_000))
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Process.Dispose();
            _cleanup?.Invoke();
        }
    }
}
