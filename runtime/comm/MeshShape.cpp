//===- MeshShape.cpp - named device-mesh axes and rank groups -------------===//
//
// This file implements MeshShape: validation and parsing of a mesh ("dp=2,
// tp=4"), row-major rank ↔ coordinates, and the group of a rank over a set of
// axes (the ranks that differ from it only on those axes).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/MeshShape.h"
#include "runtime/executable.pb.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace weft::rt {

namespace {

bool validAxisName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool isAxisIn(int axis, const std::vector<int> &axes) {
  return std::find(axes.begin(), axes.end(), axis) != axes.end();
}

} // namespace

std::string rankList(const std::vector<int64_t> &ranks) {
  std::string s;
  for (size_t i = 0; i < ranks.size(); ++i)
    s += (i ? "," : "") + std::to_string(ranks[i]);
  return s;
}

StatusOr<MeshShape> MeshShape::create(std::vector<MeshAxis> axes) {
  int64_t ranks = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    const MeshAxis &a = axes[i];
    std::string ref = "mesh axis " + std::to_string(i) + " '" + a.name + "'";
    if (!validAxisName(a.name))
      return invalidArgument(ref + ": the name must match [A-Za-z_][A-Za-z0-9_]*");
    for (size_t j = 0; j < i; ++j)
      if (axes[j].name == a.name)
        return invalidArgument(ref + ": the name is used by axis " + std::to_string(j) +
                               " too; axis names must be unique");
    if (a.size < 1)
      return invalidArgument(ref + " has size " + std::to_string(a.size) + "; sizes must be >= 1");
    if (__builtin_mul_overflow(ranks, a.size, &ranks) || ranks > INT_MAX)
      return invalidArgument(ref + ": the mesh has more than " + std::to_string(INT_MAX) +
                             " ranks");
  }
  return MeshShape(std::move(axes), ranks);
}

StatusOr<MeshShape> MeshShape::parse(std::string_view text) {
  if (trim(text).empty())
    return invalidArgument("mesh '': empty; expected axes like \"dp=2,tp=4\"");
  std::vector<MeshAxis> axes;
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    std::string where = "mesh '" + std::string(text) + "': ";
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return invalidArgument(where + "'" + std::string(trim(part)) +
                             "' is not name=size (expected axes like \"dp=2,tp=4\")");
    std::string name(trim(part.substr(0, eq)));
    std::string number(trim(part.substr(eq + 1)));
    if (!validAxisName(name))
      return invalidArgument(where + "axis name '" + name +
                             "' must match [A-Za-z_][A-Za-z0-9_]*");
    char *end = nullptr;
    errno = 0;
    long long size = number.empty() ? 0 : std::strtoll(number.c_str(), &end, 10);
    if (number.empty() || errno != 0 || *end != '\0')
      return invalidArgument(where + "axis '" + name + "' has size '" + number +
                             "', not an integer");
    if (size < 1)
      return invalidArgument(where + "axis '" + name + "' has size " + std::to_string(size) +
                             "; sizes must be >= 1");
    for (const MeshAxis &a : axes)
      if (a.name == name)
        return invalidArgument(where + "axis '" + name + "' appears twice");
    axes.push_back({name, size});
    if (comma == std::string_view::npos)
      break;
    rest = rest.substr(comma + 1);
  }
  StatusOr<MeshShape> mesh = create(std::move(axes));
  if (!mesh.isOk())
    return invalidArgument("mesh '" + std::string(text) + "': " + mesh.status().message());
  return mesh;
}

StatusOr<MeshShape> MeshShape::fromProto(const proto::Mesh &mesh) {
  std::vector<MeshAxis> axes;
  for (const proto::MeshAxis &a : mesh.axes())
    axes.push_back({a.name(), a.size()});
  return create(std::move(axes));
}

int MeshShape::findAxis(std::string_view name) const {
  for (size_t i = 0; i < axes_.size(); ++i)
    if (axes_[i].name == name)
      return static_cast<int>(i);
  return -1;
}

std::vector<int64_t> MeshShape::coordinates(int64_t rank) const {
  std::vector<int64_t> coords(axes_.size());
  for (size_t i = axes_.size(); i-- > 0;) {
    coords[i] = rank % axes_[i].size;
    rank /= axes_[i].size;
  }
  return coords;
}

int64_t MeshShape::rankAt(const std::vector<int64_t> &coords) const {
  int64_t rank = 0;
  for (size_t i = 0; i < axes_.size(); ++i)
    rank = rank * axes_[i].size + coords[i];
  return rank;
}

int64_t MeshShape::groupSize(const std::vector<int> &axes) const {
  int64_t n = 1;
  for (int a : axes)
    n *= axes_[static_cast<size_t>(a)].size;
  return n;
}

std::vector<int64_t> MeshShape::groupOf(int64_t rank, const std::vector<int> &axes) const {
  std::vector<int64_t> coords = coordinates(rank);
  std::vector<int64_t> group;
  int64_t n = groupSize(axes);
  for (int64_t i = 0; i < n; ++i) {
    // i, row-major over `axes` (last listed fastest), sets those coordinates.
    int64_t rest = i;
    for (size_t k = axes.size(); k-- > 0;) {
      int64_t size = axes_[static_cast<size_t>(axes[k])].size;
      coords[static_cast<size_t>(axes[k])] = rest % size;
      rest /= size;
    }
    group.push_back(rankAt(coords));
  }
  return group;
}

int64_t MeshShape::indexInGroup(int64_t rank, const std::vector<int> &axes) const {
  std::vector<int64_t> coords = coordinates(rank);
  int64_t index = 0;
  for (int a : axes)
    index = index * axes_[static_cast<size_t>(a)].size + coords[static_cast<size_t>(a)];
  return index;
}

int64_t MeshShape::groupColor(int64_t rank, const std::vector<int> &axes) const {
  std::vector<int64_t> coords = coordinates(rank);
  int64_t color = 0;
  for (size_t i = 0; i < axes_.size(); ++i)
    if (!isAxisIn(static_cast<int>(i), axes))
      color = color * axes_[i].size + coords[i];
  return color;
}

std::string MeshShape::groupName(int64_t rank, const std::vector<int> &axes) const {
  std::string name;
  for (int a : axes)
    name += (name.empty() ? "" : "+") + axes_[static_cast<size_t>(a)].name;
  return (name.empty() ? "self" : name) + ": ranks " + rankList(groupOf(rank, axes));
}

std::string MeshShape::toString() const {
  if (axes_.empty())
    return "one device";
  std::string s;
  for (const MeshAxis &a : axes_)
    s += (s.empty() ? "" : ",") + a.name + "=" + std::to_string(a.size);
  return s;
}

} // namespace weft::rt
