using System.Diagnostics;

namespace Engine.Tests.Protocol;

/// <summary>Runs an ES-module script under the machine's Node.js and returns its standard output.</summary>
internal static class NodeScript
{
    /// <summary>The file URL of a browser-sample module, for an <c>import</c> in a script.</summary>
    public static string SampleModule(string file) =>
        new Uri(Path.Combine(ClientCodecTests.RepoRoot(), "samples", "browser-client", file)).AbsoluteUri;

    /// <summary>The file URL of a test helper module beside these tests (<c>Engine.Tests/Protocol</c>).</summary>
    public static string TestModule(string file) =>
        new Uri(Path.Combine(ClientCodecTests.RepoRoot(), "Engine.Tests", "Protocol", file)).AbsoluteUri;

    public static async Task<string> RunAsync(string script, string standardInput = "")
    {
        string file = Path.Combine(Path.GetTempPath(), $"engine-node-{Guid.NewGuid():n}.mjs");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var start = new ProcessStartInfo("node", [file]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using Process node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            await node.StandardInput.WriteAsync(standardInput);
            node.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Task<string> stdout = node.StandardOutput.ReadToEndAsync(cts.Token);
            Task<string> stderr = node.StandardError.ReadToEndAsync(cts.Token);
            await node.WaitForExitAsync(cts.Token);
            Assert.True(node.ExitCode == 0, $"node failed:\n{await stderr}\n{await stdout}");
            return await stdout;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
