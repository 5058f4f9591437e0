using System.Diagnostics;
using Engine.Transport.Io;
using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Quic.Interop;

internal static class DriverTestExtensions
{
    /// <summary>Checks <paramref name="condition"/> under the driver's lock every 10 ms until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool WaitUntil(this UdpEndpointDriver driver, Func<QuicEndpoint, bool> condition, TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < timeout)
        {
            if (driver.Invoke((endpoint, _) => condition(endpoint)))
            {
                return true;
            }

            if (driver.Failure is not null)
            {
                throw new InvalidOperationException("The driver loop failed.", driver.Failure);
            }

            Thread.Sleep(10);
        }

        return false;
    }
}
