using Portal.Core.Clusters;

namespace Portal.Core.Hosts;

public class Host
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public required string Name { get; set; }
    public required string Uri { get; set; }
    public Guid ClusterId { get; set; }
    public Cluster? Cluster { get; set; }
}
