using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>
/// CPU time all processes on the machine have used (Linux /proc/stat; 0 elsewhere), so a report
/// can say how much of the machine other work took during the measurement window.
/// </summary>
internal static class MachineCpu
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux configuration .NET runs on

    /// <summary>Busy CPU seconds since boot, summed over all cores (everything except idle and iowait).</summary>
    public static double BusySeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        // cpu  user nice system idle iowait irq softirq steal guest guest_nice
        string[] fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double busy = 0;
        for (int i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            if (i is not 4 and not 5)
            {
                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }

        return busy / TicksPerSecond;
    }

    /// <summary>
    /// Waits (at most <paramref name="seconds"/>) for a second in which the whole machine used less
    /// than a quarter of one core, so a measurement does not start in the middle of someone's build.
    /// Returns what the last second used, in % of one core.
    /// </summary>
    public static async Task<double> WaitForQuietAsync(int seconds)
    {
        double busy = double.NaN;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
        {
            double before = BusySeconds();
            await Task.Delay(TimeSpan.FromSeconds(1));
            busy = (BusySeconds() - before) * 100;
            if (busy < 25)
            {
                break;
            }
        }

        return busy;
    }
}

/// <summary>
/// CPU time over one measurement window: the server process's, this (client) process's, and the
/// rest of the machine's (busy time from /proc/stat minus both: the noise).
/// </summary>
internal sealed class CpuWindow
{
    private readonly System.Diagnostics.Process _server;
    private readonly System.Diagnostics.Process _self = System.Diagnostics.Process.GetCurrentProcess();
    private readonly IReadOnlyList<ServerUnderTest.MeasuredProcess> _companions;
    private readonly TimeSpan _serverStart;
    private readonly TimeSpan[] _companionStart;
    private readonly TimeSpan _selfStart;
    private readonly double _machineStart;

    private CpuWindow(System.Diagnostics.Process server, IReadOnlyList<ServerUnderTest.MeasuredProcess> companions)
    {
        _server = server;
        _companions = companions;
        server.Refresh();
        _serverStart = server.TotalProcessorTime;
        _companionStart = [.. companions.Select(c => Read(c.Process))];
        _selfStart = _self.TotalProcessorTime;
        _machineStart = MachineCpu.BusySeconds();
    }

    /// <summary>CPU seconds of each companion in the window that <see cref="Stop"/> ended (in the order given).</summary>
    public double[] CompanionSeconds { get; private set; } = [];

    /// <summary>Starts a window now.</summary>
    public static CpuWindow Start(System.Diagnostics.Process server) => new(server, []);

    /// <summary>Starts a window now that also measures <paramref name="companions"/>.</summary>
    public static CpuWindow Start(System.Diagnostics.Process server, IReadOnlyList<ServerUnderTest.MeasuredProcess> companions) => new(server, companions);

    /// <summary>
    /// Ends the window: CPU seconds of the server (and of the companions that serve with it), of this
    /// process, and of everything else (the companions that do not serve are in neither).
    /// </summary>
    public (double Server, double Client, double Other) Stop()
    {
        _server.Refresh();
        _self.Refresh();
        double server = (_server.TotalProcessorTime - _serverStart).TotalSeconds;
        CompanionSeconds = [.. _companions.Select((c, i) => (Read(c.Process) - _companionStart[i]).TotalSeconds)];
        double companions = CompanionSeconds.Sum();
        double serving = CompanionSeconds.Where((_, i) => _companions[i].Serving).Sum();
        double client = (_self.TotalProcessorTime - _selfStart).TotalSeconds;
        double other = Math.Max(0, MachineCpu.BusySeconds() - _machineStart - server - companions - client);
        _self.Dispose();
        return (server + serving, client, other);
    }

    private static TimeSpan Read(System.Diagnostics.Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }
}
