using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Engine.Tests.Hosting;
using Engine.Tests.Protocol;

namespace Engine.Tests.Host;

/// <summary>
/// The built <c>Engine.dll</c> started as its own process, the way a user runs it
/// (<c>dotnet Engine/bin/…/Engine.dll</c> from the repository root).
/// </summary>
public class BuiltHostProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("DOTNET_ENVIRONMENT", "Development")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "Development")]
    [InlineData("DOTNET_ENVIRONMENT", "Production")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "Production")]
    public async Task Start_FromRepositoryRootInEnvironment_ServesBrowserSample(string variable, string environment)
    {
        string root = ClientCodecTests.RepoRoot();
        string engineDll = BuiltEngineDll(root);
        string expectedIndex = await File.ReadAllTextAsync(Path.Combine(root, "samples", "browser-client", "index.html"), TestContext.Current.CancellationToken);
        using var dataDir = new TemporaryDirectory();

        // A port found free can be taken by another test before the host binds it; only that is retried.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreeTcpAndUdpPort();
            using HostProcess host = HostProcess.Start(engineDll, root, variable, environment, port, dataDir.Path);
            using HttpClient http = CreateHttpClient(port);

            (HttpResponseMessage? response, string? body) = await GetRootWhenListeningAsync(host, http);
            if (response is null && attempt < 3 && host.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            Assert.True(response is not null, $"The host did not serve / within {StartTimeout.TotalSeconds} s (exited: {host.HasExited}). Output:\n{host.Output}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(expectedIndex, body);
            Assert.Contains($"Hosting environment: {environment}", host.Output, StringComparison.Ordinal);
            response.Dispose();
            return;
        }
    }

    /// <summary>The Engine project's own output for the configuration and framework these tests were built with.</summary>
    private static string BuiltEngineDll(string root)
    {
        // AppContext.BaseDirectory is <root>/Engine.Tests/bin/<Configuration>/<TargetFramework>/.
        string outputPath = Path.GetRelativePath(Path.Combine(root, "Engine.Tests"), AppContext.BaseDirectory);
        string dll = Path.Combine(root, "Engine", outputPath, "Engine.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build Engine.sln first.");
        return dll;
    }

    /// <summary>Polls <c>GET /</c> until it answers, the process exits, or <see cref="StartTimeout"/> passes.</summary>
    private static async Task<(HttpResponseMessage? Response, string? Body)> GetRootWhenListeningAsync(HostProcess host, HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && !host.HasExited)
        {
            try
            {
                HttpResponseMessage response = await http.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);
                return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        return (null, null);
    }

    private static HttpClient CreateHttpClient(int port) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A loopback port free on TCP (HTTPS) and UDP (HTTP/3) at the moment of asking.</summary>
    private static int FreeTcpAndUdpPort()
    {
        while (true)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken on UDP; try another.
            }
        }
    }

    /// <summary><c>dotnet Engine.dll</c> with its output captured, killed (with its children) on dispose.</summary>
    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private HostProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static HostProcess Start(string engineDll, string workingDirectory, string variable, string environment, int port, string dataDir)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in (string[])[engineDll, $"--Engine:Port={port}", "--Engine:Host=127.0.0.1", $"--Engine:DataDir={dataDir}"])
            {
                start.ArgumentList.Add(argument);
            }

            // Only the variable under test names the environment (the test runner's own must not leak in).
            foreach (string name in (string[])["DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT"])
            {
                start.Environment.Remove(name);
            }

            start.Environment[variable] = environment;
            var process = new Process { StartInfo = start };
            var host = new HostProcess(process);
            process.OutputDataReceived += (_, e) => host.Append(e.Data);
            process.ErrorDataReceived += (_, e) => host.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return host;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(); // also drains the redirected output
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
