# Installing and packaging tender as a daemon (packaging/): the binary, the
# systemd unit, /etc/tender/config.yaml (a conffile), the state directory
# /var/lib/tender, the bash completion and the man page.
#
# Install destinations are the package's own tree, relative to the prefix,
# which defaults to "/": `cmake --install build` installs tender as the
# package does, and `cmake --install build --prefix DIR` puts the same
# files under DIR (DIR/usr/bin/tender, DIR/etc/tender/config.yaml, ...).
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "/" CACHE PATH "Where `cmake --install` puts the package's tree" FORCE)
endif()

install(TARGETS tender RUNTIME DESTINATION usr/bin)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tender.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/config.yaml DESTINATION etc/tender)
install(DIRECTORY DESTINATION var/lib/tender
  DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tender.bash-completion
  DESTINATION usr/share/bash-completion/completions RENAME tender)

# The man page, generated from the command's own help (help2man, installed
# by scripts/setup) with packaging/tender.h2m's sections.
find_program(TENDER_HELP2MAN help2man)
if(TENDER_HELP2MAN)
  set(man ${CMAKE_BINARY_DIR}/tender.1)
  add_custom_command(OUTPUT ${man}.gz
    COMMAND ${CMAKE_COMMAND} -E env TENDER=$<TARGET_FILE:tender>
      ${TENDER_HELP2MAN} --no-info --section 1 --source "tender ${PROJECT_VERSION}"
      --manual "User Commands" --include ${CMAKE_CURRENT_LIST_DIR}/tender.h2m
      --output ${man} ${CMAKE_CURRENT_LIST_DIR}/man-help
    COMMAND gzip -9nf ${man}
    DEPENDS tender ${CMAKE_CURRENT_LIST_DIR}/tender.h2m ${CMAKE_CURRENT_LIST_DIR}/man-help
    COMMENT "Generating tender.1 from tender --help (help2man)")
  add_custom_target(tender_man ALL DEPENDS ${man}.gz)
  install(FILES ${man}.gz DESTINATION usr/share/man/man1)
else()
  message(WARNING "help2man not found: no man page (scripts/setup installs it)")
endif()

# `cpack -G DEB` in the build folder: tender_<version>_<arch>.deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tender)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "reconciling controller that keeps a Docker host's containers equal to their desired state")
set(CPACK_PACKAGE_DESCRIPTION
  "tender serve keeps the containers of one Docker host equal to the desired state held in \
SQLite, and answers a REST API that the tender command, scripts and CI jobs talk to.")
set(CPACK_PACKAGE_CONTACT "tender maintainers <tender@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
# Depends: the shared libraries the binary links, found by dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# And /bin/kill, which the unit's ExecReload runs.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")
# The engine may be another host's (--engine tcp://...) or Docker's own
# packages: recommended, not required.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io | docker-ce")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/deb/conffiles
  ${CMAKE_CURRENT_LIST_DIR}/deb/postinst
  ${CMAKE_CURRENT_LIST_DIR}/deb/prerm
  ${CMAKE_CURRENT_LIST_DIR}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
