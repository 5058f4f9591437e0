using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Engine.Bench.Load;

/// <summary>
/// A helper process of this bench (<c>serve</c>, <c>nats-publish</c>) whose standard output is read to
/// its end: <c>stats …</c> lines answer <see cref="StatsAsync"/>, anything else after <c>listening</c>
/// (Engine's warnings: a room that fell behind, a relay failure) is copied to this process's standard
/// error with the process's label, so a full pipe never blocks it.
/// </summary>
internal sealed class BenchProcess
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<Dictionary<string, double>>? _pending;

    private BenchProcess(string label, Process process, string listening, string? instanceId)
    {
        Label = label;
        Process = process;
        Listening = listening;
        InstanceId = instanceId;
        _ = Task.Run(ReadAsync);
    }

    public string Label { get; }

    public Process Process { get; }

    /// <summary>What followed <c>listening </c>: the server's base address (about:blank for the publisher).</summary>
    public string Listening { get; }

    /// <summary>The Engine instance id it printed (<c>instance ID</c>), when clustered.</summary>
    public string? InstanceId { get; }

    /// <summary>Starts <c>Engine.Bench</c> with <paramref name="arguments"/> and waits for its <c>listening</c> line.</summary>
    public static BenchProcess Start(string label, IEnumerable<string> arguments)
    {
        Process process = ServerUnderTest.StartBench(arguments);
        var before = new List<string>();
        string line;
        try
        {
            line = ServerUnderTest.ReadListeningLine(process, label, before);
        }
        catch
        {
            Stop(process);
            throw;
        }

        // What it printed before listening is Engine's start-up warnings about a development setup (no token secret, no origins): not shown.
        string? instance = before.LastOrDefault(l => l.StartsWith("instance ", StringComparison.Ordinal))?["instance ".Length..];
        return new BenchProcess(label, process, line["listening ".Length..], instance);
    }

    /// <summary>Asks for a <c>stats</c> line; empty when the process did not answer within 10 s.</summary>
    public async Task<Dictionary<string, double>> StatsAsync()
    {
        TaskCompletionSource<Dictionary<string, double>> pending;
        lock (_gate)
        {
            if (_pending is null)
            {
                _pending = new TaskCompletionSource<Dictionary<string, double>>(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    Process.StandardInput.WriteLine("stats");
                    Process.StandardInput.Flush();
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    _pending.TrySetResult([]);
                }
            }

            pending = _pending;
        }

        try
        {
            return await pending.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _pending = null;
            }

            return [];
        }
    }

    /// <summary>Closes its standard input (its signal to stop), waits up to 5 s, then kills it.</summary>
    public void Stop() => Stop(Process);

    private static void Stop(Process process)
    {
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5_000))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("stats ", StringComparison.Ordinal))
                {
                    TaskCompletionSource<Dictionary<string, double>>? pending;
                    lock (_gate)
                    {
                        pending = _pending;
                        _pending = null;
                    }

                    pending?.TrySetResult(ProcessStats.Parse(line["stats ".Length..]));
                }
                else
                {
                    Console.Error.WriteLine($"  [{Label}] {line}");
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed.
        }
    }
}

/// <summary>
/// A real <c>nats-server</c> for one <c>cluster-fanout</c> command: <c>-a 127.0.0.1 -p PORT -js -sd
/// TEMP -m MONITOR</c> on free loopback ports, a cluster name of its own (subject prefix), killed and
/// its store deleted on <see cref="Dispose"/>. Its monitoring endpoint (<c>/varz</c>) gives the
/// server's message counts and slow consumers for each window.
/// </summary>
internal sealed class NatsServer : IDisposable
{
    private readonly string _storeDirectory;
    private readonly Queue<string> _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private NatsServer(Process process, int port, int monitorPort, string storeDirectory, string version)
    {
        Process = process;
        Port = port;
        MonitorPort = monitorPort;
        _storeDirectory = storeDirectory;
        Version = version;
        Cluster = "bench" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
    }

    public Process Process { get; }

    public int Port { get; }

    public int MonitorPort { get; }

    public string Url => "nats://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The cluster name (subject prefix) of this command's run.</summary>
    public string Cluster { get; }

    /// <summary>What <c>nats-server --version</c> printed.</summary>
    public string Version { get; }

    public static async Task<NatsServer> StartAsync(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing (Debian: apt-get install nats-server; or --nats-server PATH).", path);
        }

        string version = await RunAsync(path, "--version");
        int port = FreeTcpPort();
        int monitor = FreeTcpPort();
        string store = Directory.CreateTempSubdirectory("engine-bench-nats-").FullName;
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", store, "-m", monitor.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(a);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);
        var server = new NatsServer(process, port, monitor, store, version);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await server.WaitUntilReadyAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>The server's counters (<c>/varz</c>): messages in and out, bytes, slow consumers; empty when it did not answer.</summary>
    public async Task<Dictionary<string, double>> VarzAsync()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using JsonDocument varz = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"http://127.0.0.1:{MonitorPort}/varz")));
            foreach (string key in (string[])["in_msgs", "out_msgs", "in_bytes", "out_bytes", "slow_consumers"])
            {
                if (varz.RootElement.TryGetProperty(key, out JsonElement value) && value.TryGetDouble(out double number))
                {
                    values[key] = number;
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
        }

        return values;
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit(5_000);
            }
        }
        finally
        {
            Process.Dispose();
            _http.Dispose();
            try
            {
                Directory.Delete(_storeDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        long deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited at start (code {Process.ExitCode}): {string.Join(" | ", Log())}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 40)
            {
                _log.Dequeue();
            }
        }
    }

    private string[] Log()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }

    private static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> RunAsync(string path, string argument)
    {
        var start = new ProcessStartInfo(path, argument) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }
}
