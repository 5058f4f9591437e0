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
}
