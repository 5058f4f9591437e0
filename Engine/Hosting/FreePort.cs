using System.Net;
using System.Net.Sockets;

namespace Engine.Hosting;

/// <summary>
/// Picks a port free for both TCP and UDP. With <c>Engine:Port = 0</c> Kestrel would pick a free
/// TCP port, and HTTP/3 then needs the same number on UDP, which another process's (or test's)
/// UDP socket may hold: the ephemeral range is shared. Asking the OS for a free UDP port and
/// checking TCP on it leaves only the short window before Kestrel binds.
/// </summary>
internal static class FreePort
{
    private const int Attempts = 50;

    /// <exception cref="InvalidOperationException">No port was free for both within the attempts.</exception>
    public static int ForTcpAndUdp(IPAddress address)
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(address, 0));
            int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(address, port));
                return port;
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // taken on TCP: ask for another
            }
        }

        throw new InvalidOperationException($"No port on {address} was free for both TCP and UDP after {Attempts} attempts.");
    }
}
