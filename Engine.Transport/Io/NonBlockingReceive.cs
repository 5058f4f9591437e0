using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Engine.Transport.Io;

/// <summary>
/// Linux <c>recvfrom(…, MSG_DONTWAIT, …)</c> on a socket's descriptor: one system call per
/// datagram and one "would block" to end a drain, instead of <see cref="Socket.Available"/>
/// before every <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/> (which
/// would throw, allocating, on an empty non-blocking socket). The source address lands in the
/// caller's <see cref="SocketAddress"/> in the layout .NET itself uses on Linux.
/// </summary>
internal static class NonBlockingReceive
{
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;
    private const int EIntr = 4;

    public enum Result
    {
        Received,
        WouldBlock,

        /// <summary>An error for this call only (e.g. ICMP port unreachable surfaced as ECONNREFUSED).</summary>
        Failed,
    }

    /// <summary>Whether the call can work here: Linux, and libc answers an empty receive on a scratch socket.</summary>
    public static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var address = new SocketAddress(AddressFamily.InterNetwork);
            return TryReceive(probe, new byte[1], address, out _) == Result.WouldBlock;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Takes one datagram if one is queued; never blocks. Sets <paramref name="address"/>'s size to the source's.</summary>
    public static Result TryReceive(Socket socket, Span<byte> buffer, SocketAddress address, out int length)
    {
        Span<byte> addressBytes = address.Buffer.Span;
        int addressLength = addressBytes.Length;
        nint received;
        bool handleAdded = false;
        SafeHandle handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref handleAdded);
            do
            {
                received = RecvFrom(handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, MsgDontWait, ref MemoryMarshal.GetReference(addressBytes), ref addressLength);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == EIntr);
        }
        finally
        {
            if (handleAdded)
            {
                handle.DangerousRelease();
            }
        }

        if (received >= 0)
        {
            length = (int)received;
            address.Size = Math.Min(addressLength, addressBytes.Length);
            return Result.Received;
        }

        length = 0;
        return Marshal.GetLastPInvokeError() == EAgain ? Result.WouldBlock : Result.Failed;
    }

    // DllImport rather than LibraryImport: every argument is blittable (refs are pinned), and the
    // project does not enable unsafe code for the generated stub.
    [DllImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint RecvFrom(nint socket, ref byte buffer, nuint length, int flags, ref byte address, ref int addressLength);
}
