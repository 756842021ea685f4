using Portal;
using Portal.Core;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortalCore();
builder.AddPortalWeb();

var app = builder.Build();
app.UsePortalWeb();
return await app.RunPortalAsync();

/// <summary>The entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
