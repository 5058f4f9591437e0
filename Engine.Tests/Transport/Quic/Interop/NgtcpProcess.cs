using System.Diagnostics;
using System.Text;

namespace Engine.Tests.Transport.Quic.Interop;

/// <summary>A peer program with its output captured, killed on dispose.</summary>
internal sealed class NgtcpProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NgtcpProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                string text = _output.ToString();
                return text.Length > 4000 ? text[^4000..] : text;
            }
        }
    }

    /// <summary>Whether anything the process printed so far contains <paramref name="text"/> (not only the tail <see cref="Output"/> shows).</summary>
    public bool Printed(string text)
    {
        lock (_output)
        {
            return _output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    public static NgtcpProcess Start(string fileName, string arguments)
    {
        Assert.True(File.Exists(fileName), $"{fileName} is missing: scripts/test.sh installs the Debian packages ngtcp2-client and ngtcp2-server.");
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        var peer = new NgtcpProcess(process);
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>
    /// Waits until a UDP socket is bound to <paramref name="port"/> (as /proc/net/udp and udp6
    /// list them), the process exits, or <paramref name="timeout"/> passes; a server started a
    /// moment ago may still be loading its TLS library, and a fixed sleep only guesses how long.
    /// </summary>
    public bool WaitUntilUdpBound(int port, TimeSpan timeout)
    {
        string suffix = ":" + port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < timeout && !_process.HasExited)
        {
            foreach (string table in (string[])["/proc/net/udp", "/proc/net/udp6"])
            {
                if (File.Exists(table) && File.ReadLines(table).Skip(1).Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, string local, ..] && local.EndsWith(suffix, StringComparison.Ordinal)))
                {
                    return true;
                }
            }

            Thread.Sleep(20);
        }

        return false;
    }

    /// <summary>
    /// Waits for the process to exit, then for its redirected output to be read to the end
    /// (WaitForExit with a timeout alone returns before the last lines reach <see cref="Output"/>).
    /// </summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

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
