using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Engine.Tests.Cluster;

/// <summary>
/// A real nats-server (Debian package <c>nats-server</c>) on 127.0.0.1 with JetStream and its own
/// store directory. <see cref="StopAsync"/> kills it hard (SIGKILL, a crash) and <see cref="StartAsync"/>
/// starts it again on the same port and store. Its output is kept, bounded, for failure messages.
/// Disposal kills it and deletes the store. A missing binary fails the test (never skips it).
/// </summary>
internal sealed class NatsServerFixture : IAsyncDisposable
{
    /// <summary>Where the Debian package puts the server (/usr/sbin may not be on PATH).</summary>
    public const string ServerPath = "/usr/sbin/nats-server";

    /// <summary>Output lines kept (oldest dropped first).</summary>
    private const int OutputLines = 300;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private readonly Queue<string> _output = new();
    private readonly string _name = "engine-test-" + Guid.NewGuid().ToString("N")[..8];
    private Process? _process;
    private int _starts;

    private NatsServerFixture(int port)
    {
        Port = port;
        StoreDir = Directory.CreateTempSubdirectory("engine-nats-").FullName;
    }

    /// <summary>The client port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The URL clients use.</summary>
    public string Url => $"nats://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The JetStream store directory (kept across <see cref="StopAsync"/>/<see cref="StartAsync"/>).</summary>
    public string StoreDir { get; }

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The last lines the server printed (all starts), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts a server on a free port and waits until it is ready.</summary>
    public static async Task<NatsServerFixture> StartNewAsync(CancellationToken cancellationToken)
    {
        var server = new NatsServerFixture(FreeTcpPort());
        try
        {
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fixture for <paramref name="port"/> that is not started yet (nothing listens there until <see cref="StartAsync"/>).</summary>
    public static NatsServerFixture NotStarted(int port) => new(port);

    /// <summary>A TCP port on 127.0.0.1 that nothing listened on a moment ago.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>Starts the server (same port, same store) and waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Assert.True(File.Exists(ServerPath), $"{ServerPath} is missing: install the Debian package nats-server (scripts/test.sh installs it when run as root).");
        Assert.False(IsRunning, "nats-server is already running.");
        int start = ++_starts;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var startInfo = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", StoreDir, "--server_name", _name])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(start, e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnLine(start, e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"nats-server exited during start {start}."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            await ready.Task.WaitAsync(ReadyTimeout, cancellationToken);
            await WaitUntilAcceptingAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException or SocketException)
        {
            Assert.Fail($"nats-server on port {Port} did not become ready ({exception.Message}). Its output:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Kills the server at once (SIGKILL: no lame-duck mode, no goodbye to clients), as a crash would.</summary>
    public async Task StopAsync()
    {
        Process? process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
        process.Dispose();
    }

    /// <summary>Kills the server and deletes its store.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(StoreDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open; the temp directory is cleaned by the OS eventually.
            }
        }
    }

    private void OnLine(int start, string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue($"[start {start}] {line}");
            while (_output.Count > OutputLines)
            {
                _output.Dequeue();
            }
        }

        if (line.Contains("Server is ready", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    /// <summary>The log line says ready; a TCP connect that gets the INFO line proves it.</summary>
    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
        byte[] buffer = new byte[4];
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).AsTask().WaitAsync(ReadyTimeout, cancellationToken);
        Assert.True(read > 0 && buffer[0] == (byte)'I', $"nats-server on port {Port} accepted but sent no INFO. Its output:{Environment.NewLine}{Output}");
    }
}
