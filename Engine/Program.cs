using Engine.Demo;
using Engine.Hosting;
using Engine.Protocol;

// `dotnet run --project Engine -- generate-client-codec [path]` rewrites the browser's schema.
if (args is ["generate-client-codec", ..])
{
    string path = args.Length > 1 ? args[1] : Path.Combine(RepositoryRoot(), ClientCodecGenerator.DefaultRelativePath);
    File.WriteAllText(path, ClientCodecGenerator.Generate([typeof(ArenaDot)]));
    Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
    return 0;
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddEngine<ArenaRoom>();
WebApplication app = builder.Build();
app.MapEngine();
await app.RunAsync();
return 0;

static string RepositoryRoot()
{
    string? dir = Directory.GetCurrentDirectory();
    while (dir is not null && !File.Exists(Path.Combine(dir, "Engine.sln")))
    {
        dir = Path.GetDirectoryName(dir);
    }

    return dir ?? throw new InvalidOperationException("Run generate-client-codec inside the repository, or pass the output path.");
}
